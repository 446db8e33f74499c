// Unit tests of the page's pure functions: `node --test test/` (npm test) in serve/web.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  GRID_PAD, LATENT_DIM, gridLayout, gridPixels, interpolate, labelsFor, latents, nearSquareCols,
  onnxMetadata, parseSeed, slerp, splitmix64, toGray,
} from '../dcgan.js';

const close = (got, want, tol, what) => {
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: got ${got[i]}, want ${want[i]} (±${tol})`);
  }
};

test('SplitMix64 matches the README test vector (seed 0)', () => {
  const next = splitmix64(0n);
  assert.equal(next(), 0xe220a8397b1dcdafn);
  const z = latents(0, 1);
  assert.equal(z.length, LATENT_DIM);
  close(z, [0.76662159, -0.13694406, -0.94713247, 0.94176388], 1e-7, 'latents(0, 1)');
});

test('seed 42 matches the README Python latents(42, 2)', () => {
  // Values from the README's Python function (exact: every latent is a float32 k·2⁻²³ − 1).
  const z = latents(42, 2);
  const want = { 0: 0.48312973976135254, 1: -0.680179238319397, 2: -0.44279778003692627, 99: -0.546907901763916, 100: 0.4186140298843384, 199: 0.5396474599838257 };
  for (const [i, v] of Object.entries(want)) assert.equal(z[i], v, `latents(42, 2)[${i}]`);
});

test('latents are drawn row by row and are in [-1, 1)', () => {
  const one = latents('42', 1);
  const three = latents(42n, 3);
  assert.deepEqual(three.subarray(0, LATENT_DIM), one);
  assert.ok(three.every((v) => v >= -1 && v < 1));
  // The largest seed wraps like the Python (& (2**64 - 1)).
  close(latents('18446744073709551615', 1), [0.7878857851028442, 0.8251943588256836, -0.5610361099243164], 0, 'latents(2^64-1, 1)');
});

test('seeds are unsigned 64-bit integers', () => {
  assert.equal(parseSeed('18446744073709551615'), (1n << 64n) - 1n);
  assert.equal(parseSeed(' 7 '), 7n);
  assert.equal(parseSeed(7), 7n);
  for (const bad of ['18446744073709551616', '-1', '1.5', '', 'abc', '0x10', -1, 1.5, 2 ** 60, null, undefined]) {
    assert.throws(() => parseSeed(bad), RangeError, `parseSeed(${String(bad)})`);
  }
  assert.throws(() => latents(0, 0), RangeError);
});

test('interpolation: endpoints exact, slerp keeps the norm, lerp dips', () => {
  const a = latents(1, 2);
  const b = latents(2, 2);
  for (const mode of ['slerp', 'lerp']) {
    assert.deepEqual(interpolate(a, b, 0, mode), a);
    assert.deepEqual(interpolate(a, b, 1, mode), b);
  }
  const norm = (v, r) => Math.hypot(...v.subarray(r * LATENT_DIM, (r + 1) * LATENT_DIM));
  const s = interpolate(a, b, 0.5, 'slerp');
  const l = interpolate(a, b, 0.5, 'lerp');
  for (const r of [0, 1]) {
    const ends = (norm(a, r) + norm(b, r)) / 2;
    assert.ok(Math.abs(norm(s, r) - ends) < 0.05 * ends, `slerp row ${r}: ${norm(s, r)} vs ${ends}`);
    assert.ok(norm(l, r) < 0.85 * ends, `lerp row ${r}: ${norm(l, r)} vs ${ends}`);
  }
  // Parallel rows: slerp falls back to lerp instead of dividing by sin(0).
  const v = latents(3, 1);
  const twice = v.map((x) => 2 * x);
  close(slerp(v, twice, 0.5), v.map((x) => 1.5 * x), 1e-6, 'slerp of parallel rows');
});

test('grid layout is the layout of dcgan/src/contract.rs', () => {
  assert.equal(nearSquareCols(1), 1);
  assert.equal(nearSquareCols(16), 4);
  assert.equal(nearSquareCols(25), 5);
  assert.equal(nearSquareCols(26), 6);
  assert.deepEqual(gridLayout(25, 5, 3), { cols: 5, rows: 5, step: 86, width: 432, height: 432 });
  assert.deepEqual(gridLayout(16, 4, 1), { cols: 4, rows: 4, step: 30, width: 122, height: 122 });
  assert.deepEqual(gridLayout(3, 2, 2), { cols: 2, rows: 2, step: 58, width: 118, height: 118 });
  assert.deepEqual(gridLayout(2, 9, 1), { cols: 2, rows: 1, step: 30, width: 62, height: 32 });
  assert.equal(toGray(-1), 0);
  assert.equal(toGray(1), 255);
  assert.equal(toGray(5), 255);
  assert.equal(toGray(-5), 0);
  assert.equal(toGray(0), 128);

  // Two images, the second white: padding black, tiles where grid.rs puts them, pixels scaled.
  const values = new Float32Array(2 * 784).fill(-1);
  values.fill(1, 784);
  values[0] = 1; // top-left pixel of image 0
  const g = gridPixels(values, 2, 2, 2);
  const at = (x, y) => g.data[(y * g.width + x) * 4];
  assert.equal(g.width, 2 * (56 + GRID_PAD) + GRID_PAD);
  assert.equal(g.height, 56 + 2 * GRID_PAD);
  assert.equal(at(0, 0), 0);
  assert.equal(at(2, 2), 255);
  assert.equal(at(3, 3), 255);
  assert.equal(at(4, 2), 0);
  assert.equal(at(59, 2), 0);
  assert.equal(at(60, 2), 255);
  assert.equal(at(115, 57), 255);
  assert.equal(at(116, 57), 0);
  assert.equal(g.data[3], 255);
});

test('labels: one digit for every row, or row i gets i mod 10', () => {
  assert.deepEqual([...labelsFor(12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1].map(BigInt));
  assert.deepEqual([...labelsFor(3, 7)], [7n, 7n, 7n]);
});

test('ONNX metadata is read from the protobuf bytes', () => {
  // ModelProto { ir_version: 8, producer_name: "p", metadata_props: [{epochs: "3"}, {dataset: "mnist"}] }
  const enc = new TextEncoder();
  const str = (field, s) => [(field << 3) | 2, s.length, ...enc.encode(s)];
  const entry = (k, v) => { const body = [...str(1, k), ...str(2, v)]; return [(14 << 3) | 2, body.length, ...body]; };
  const bytes = Uint8Array.from([0x08, 8, ...str(2, 'p'), ...entry('epochs', '3'), 0x3a, 2, 0x08, 1, ...entry('dataset', 'mnist')]);
  const m = onnxMetadata(bytes);
  assert.equal(m.irVersion, 8);
  assert.equal(m.producerName, 'p');
  assert.deepEqual(m.props, { epochs: '3', dataset: 'mnist' });
  assert.throws(() => onnxMetadata(Uint8Array.from([0x0b])), /not an ONNX model/);
  assert.throws(() => onnxMetadata(Uint8Array.from([0x12, 9, 1])), /not an ONNX model/);
});

const shipped = new URL('../../../models/gen.onnx', import.meta.url);
test('the shipped model\'s metadata', { skip: !existsSync(shipped) && 'models/gen.onnx not found' }, () => {
  const m = onnxMetadata(readFileSync(shipped));
  assert.equal(m.irVersion, 8);
  assert.equal(m.props.latent_dim, '100');
  assert.equal(m.props.latent_distribution, 'uniform(-1,1)');
  assert.equal(m.props.dataset, 'mnist');
  assert.ok(Number(m.props.epochs) > 0);
});
