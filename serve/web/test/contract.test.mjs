// The page's half of the contract against the golden vectors that Rust writes
// (dcgan/contract.json, from dcgan/tests/golden.rs): the same file holds the README's
// Python to the same values, so the page, the CLI and the README cannot drift apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  GRID_PAD, LATENT_DIM, NUM_CLASSES, PIXELS, SIDE, digitsAll, gridLayout, interpolate, labelsFor, latents,
  nearSquareCols, splitmix64, toGray,
} from '../dcgan.js';

const golden = JSON.parse(readFileSync(new URL('../../../dcgan/contract.json', import.meta.url), 'utf8'));
/** Largest |JS − Rust| of a slerp value: both compute in float64 and round to float32,
 *  but sum the norms in another order, so the last float32 bit may differ. */
const SLERP_TOLERANCE = 1e-6;

test('the interface constants are the contract\'s', () => {
  const i = golden.interface;
  assert.equal(LATENT_DIM, i.latent_dim);
  assert.deepEqual([1, SIDE, SIDE], i.image_shape);
  assert.equal(PIXELS, i.image_shape.reduce((a, b) => a * b));
  assert.equal(NUM_CLASSES, i.classes);
  assert.equal(GRID_PAD, i.grid_pad);
  assert.deepEqual([i.input, i.label, i.output], ['z', 'label', 'image']);
});

test('latents equal the golden ones exactly', () => {
  for (const c of golden.latents) {
    assert.equal(`0x${splitmix64(BigInt(c.seed))().toString(16).padStart(16, '0')}`, c.first_u64, `seed ${c.seed}`);
    const z = latents(c.seed, c.n);
    assert.equal(z.length, c.z.length);
    z.forEach((v, k) => assert.equal(v, Math.fround(c.z[k]), `latents(${c.seed}, ${c.n})[${k}]`));
  }
});

test('slerp, degenerate cases included, is the golden one', () => {
  let worst = 0;
  for (const c of golden.slerp) {
    for (const { t, z } of c.at) {
      const got = interpolate(Float32Array.from(c.a), Float32Array.from(c.b), t, 'slerp', c.a.length);
      got.forEach((v, k) => {
        const d = Math.abs(v - z[k]);
        worst = Math.max(worst, d);
        assert.ok(d <= SLERP_TOLERANCE, `${c.what}, t = ${t}, [${k}]: ${v} vs ${z[k]} (±${SLERP_TOLERANCE})`);
      });
    }
  }
  console.log(`slerp vs contract.json: max |d| = ${worst.toExponential(2)} (<= ${SLERP_TOLERANCE})`);
});

test('label plans: default labels and the 0–9 grid', () => {
  const d = golden.default_labels;
  assert.deepEqual(Array.from(labelsFor(d.n), Number), d.labels);
  const all = golden.digits_all;
  const plan = digitsAll(all.per_row);
  assert.deepEqual([plan.count, plan.cols], [all.count, all.cols]);
  assert.deepEqual(Array.from(plan.labels, Number), all.labels);
});

test('pixels and grids map as the contract says', () => {
  for (const [v, gray] of golden.unit_to_pixel) assert.equal(toGray(Math.fround(v)), gray, `toGray(${v})`);
  for (const [p, v] of golden.pixel_to_unit) assert.equal(toGray(Math.fround(v)), p, `pixel ${p} -> ${v} -> back`);
  for (const g of golden.grids) {
    assert.equal(nearSquareCols(g.n), g.near_square_cols, `nearSquareCols(${g.n})`);
    const l = gridLayout(g.n, g.cols, g.scale);
    assert.deepEqual([l.cols, l.rows, l.width, l.height], [g.layout.cols, g.layout.rows, g.layout.width, g.layout.height]);
  }
});
