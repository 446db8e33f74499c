// dcgan.js: the DCGAN generator in JavaScript, as a module that starts nothing. It
// holds the contract's JavaScript half (dcgan/src/contract.rs; its golden vectors in
// dcgan/contract.json are asserted by test/contract.test.mjs): latents, slerp, the
// grid layout, the 0–9 plan, the ONNX metadata reader (from onnx-metadata.js), and a
// Model that runs gen.onnx with onnxruntime-web. Other pages import it; Node's tests
// import it; page.js is the UI.
//
//   import { loadModel, latents } from './dcgan.js';
//   const model = await loadModel('model.onnx', 'ort/ort.wasm.min.mjs');
//   const images = await model.generate(42n, 16);   // Float32Array [16,1,28,28]

import { onnxMetadata } from './onnx-metadata.js';

export { onnxMetadata };

export const LATENT_DIM = 100;
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
/** Black pixels around and between tiles, as `GRID_PAD` in dcgan/src/contract.rs. */
export const GRID_PAD = 2;
export const MAX_N = 100;
export const MAX_SCALE = 8;
export const NUM_CLASSES = 10;
/** Rows per model run: bounds the memory of one run whatever n a caller asks for. */
export const BATCH = 256;

export const MASK64 = (1n << 64n) - 1n;

// ---------------------------------------------------------------------------------
// Latents: SplitMix64, exactly as DESIGN.md §3 and the README's Python.

/** An unsigned 64-bit seed as a BigInt, from a BigInt, a safe integer or a decimal string. */
export function parseSeed(value) {
  let s;
  if (typeof value === 'bigint') {
    s = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`seed must be an integer (pass larger seeds as a decimal string or BigInt), got ${value}`);
    }
    s = BigInt(value);
  } else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) {
    s = BigInt(value.trim());
  } else {
    throw new RangeError(`seed must be an unsigned 64-bit integer in decimal, got ${JSON.stringify(String(value))}`);
  }
  if (s < 0n || s > MASK64) {
    throw new RangeError(`seed must be between 0 and ${MASK64}, got ${s}`);
  }
  return s;
}

/** SplitMix64 seeded with `seed`: returns a function giving the next 64-bit output (BigInt). */
export function splitmix64(seed) {
  let state = parseSeed(seed);
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let u = state;
    u = ((u ^ (u >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    u = ((u ^ (u >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return u ^ (u >> 31n);
  };
}

/**
 * The latents `infer --seed seed -n n` feeds the model: n rows of `dim` values in [-1,1),
 * row by row (row i uses draws i·dim … i·dim+dim−1). Each value is 2·((u >> 40)·2⁻²⁴) − 1,
 * exact in float32.
 */
export function latents(seed, n, dim = LATENT_DIM) {
  checkCount(n, 'n');
  const next = splitmix64(seed);
  const z = new Float32Array(n * dim);
  for (let i = 0; i < z.length; i++) {
    z[i] = 2 * (Number(next() >> 40n) / 16777216) - 1;
  }
  return z;
}

/** A random seed below 10⁶, like the seed `infer` picks when given none (short to type). */
export function randomSeed() {
  const u = new Uint32Array(1);
  globalThis.crypto.getRandomValues(u);
  return BigInt(u[0] % 1000000);
}

// ---------------------------------------------------------------------------------
// Interpolation between two sets of latents, row by row.

/**
 * Row-wise interpolation from `a` (t = 0) to `b` (t = 1), both n·dim values.
 * 'slerp' moves along the great circle between the two rows (its angle measured on the
 * unit sphere, lengths interpolated with it), falling back to 'lerp' when the angle is
 * tiny; 'lerp' is the straight line. t = 0 and t = 1 give `a` and `b` exactly.
 */
export function interpolate(a, b, t, mode = 'slerp', dim = LATENT_DIM) {
  if (a.length !== b.length || a.length % dim !== 0) {
    throw new RangeError(`interpolate: latents of ${a.length} and ${b.length} values, rows of ${dim}`);
  }
  if (mode !== 'slerp' && mode !== 'lerp') throw new RangeError(`interpolate: mode must be 'slerp' or 'lerp', got ${mode}`);
  const out = new Float32Array(a.length);
  for (let r = 0; r < a.length; r += dim) {
    let wa = 1 - t;
    let wb = t;
    if (mode === 'slerp') {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let k = r; k < r + dim; k++) {
        dot += a[k] * b[k];
        na += a[k] * a[k];
        nb += b[k] * b[k];
      }
      const cos = na > 0 && nb > 0 ? Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))) : 1;
      const omega = Math.acos(cos);
      const so = Math.sin(omega);
      if (so > 1e-6) {
        wa = Math.sin((1 - t) * omega) / so;
        wb = Math.sin(t * omega) / so;
      }
    }
    for (let k = r; k < r + dim; k++) out[k] = wa * a[k] + wb * b[k];
  }
  return out;
}

/** Spherical interpolation of two single vectors (see `interpolate`). */
export function slerp(a, b, t) {
  return interpolate(a, b, t, 'slerp', a.length);
}

/** Linear interpolation of two single vectors. */
export function lerp(a, b, t) {
  return interpolate(a, b, t, 'lerp', a.length);
}

// ---------------------------------------------------------------------------------
// Grids, laid out as dcgan/src/contract.rs lays them out.

/** Columns of a near-square grid for n images: ceil(sqrt(n)), at least 1. */
export function nearSquareCols(n) {
  return Math.max(1, Math.ceil(Math.sqrt(n)));
}

/** Size of a grid of n tiles of 28·scale pixels in `cols` columns with GRID_PAD between. */
export function gridLayout(n, cols, scale) {
  cols = Math.min(Math.max(cols, 1), Math.max(n, 1));
  const rows = Math.ceil(n / cols);
  const step = SIDE * scale + GRID_PAD;
  return { cols, rows, step, width: cols * step + GRID_PAD, height: rows * step + GRID_PAD };
}

/** A value in [-1,1] as a grey level: round((clamp(v,-1,1)+1)·127.5), in float32 like the Rust. */
export function toGray(v) {
  const c = Math.min(1, Math.max(-1, v));
  return Math.round(Math.fround(Math.fround(c + 1) * 127.5));
}

/**
 * RGBA pixels (black background, opaque) of n images of 784 values in `cols` columns,
 * each source pixel repeated scale×scale: the same pixels as `infer`'s grid PNG.
 */
export function gridPixels(values, n, cols, scale) {
  const g = gridLayout(n, cols, scale);
  const data = new Uint8ClampedArray(g.width * g.height * 4);
  for (let p = 3; p < data.length; p += 4) data[p] = 255;
  const tile = SIDE * scale;
  for (let i = 0; i < n; i++) {
    const x0 = (i % g.cols) * g.step + GRID_PAD;
    const y0 = Math.floor(i / g.cols) * g.step + GRID_PAD;
    const base = i * PIXELS;
    for (let y = 0; y < tile; y++) {
      const src = base + Math.floor(y / scale) * SIDE;
      let o = ((y0 + y) * g.width + x0) * 4;
      for (let x = 0; x < tile; x++, o += 4) {
        const v = toGray(values[src + Math.floor(x / scale)]);
        data[o] = v;
        data[o + 1] = v;
        data[o + 2] = v;
      }
    }
  }
  return { ...g, data };
}

// ---------------------------------------------------------------------------------
// Checks shared by the API and the page.

function checkCount(n, what) {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

function checkDigit(digit) {
  if (!Number.isInteger(digit) || digit < 0 || digit >= NUM_CLASSES) {
    throw new RangeError(`digit must be an integer from 0 to ${NUM_CLASSES - 1}, got ${digit}`);
  }
}

/** Labels of n rows: all `digit`, or row i → i mod 10 when digit is null (DESIGN.md §7). */
export function labelsFor(n, digit = null) {
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) labels[i] = BigInt(digit ?? i % NUM_CLASSES);
  return labels;
}

/**
 * The 0–9 grid of `infer --digits all -n perRow`: ten rows of perRow images, latents
 * 0..count drawn from the seed in order, image i labelled floor(i / perRow).
 */
export function digitsAll(perRow) {
  checkCount(perRow, 'perRow');
  const count = NUM_CLASSES * perRow;
  const labels = new BigInt64Array(count);
  for (let i = 0; i < count; i++) labels[i] = BigInt(Math.floor(i / perRow));
  return { count, cols: perRow, labels };
}

// ---------------------------------------------------------------------------------
// The model in the browser.

export class Model {
  constructor(ort, session, meta) {
    this.ort = ort;
    this.session = session;
    this.meta = meta;
    this.conditional = session.inputNames.includes('label');
    this.outputName = session.outputNames.includes('image') ? 'image' : session.outputNames[0];
    this.chain = Promise.resolve();
  }

  /** Images [n,1,28,28] for latents z (n·100 values) and, for a conditional model, labels. */
  run(z, labels = null) {
    // One run at a time: an ONNX Runtime Web session does not run concurrently.
    const job = this.chain.then(() => this.runNow(z, labels));
    this.chain = job.catch(() => {});
    return job;
  }

  async runNow(z, labels) {
    const n = z.length / LATENT_DIM;
    if (this.conditional && (!labels || labels.length !== n)) throw new Error('a conditional model needs one label per row');
    if (!this.conditional && labels) throw new Error('this model is unconditional (no "label" input): it takes no digit');
    const out = new Float32Array(n * PIXELS);
    for (let r = 0; r < n; r += BATCH) {
      const m = Math.min(BATCH, n - r);
      const feeds = { z: new this.ort.Tensor('float32', z.subarray(r * LATENT_DIM, (r + m) * LATENT_DIM), [m, LATENT_DIM]) };
      if (this.conditional) feeds.label = new this.ort.Tensor('int64', labels.subarray(r, r + m), [m]);
      const result = await this.session.run(feeds);
      const image = result[this.outputName];
      out.set(image.data, r * PIXELS);
      image.dispose?.();
    }
    return out;
  }

  async generate(seed, n, digit) {
    checkCount(n, 'n');
    const given = digit !== undefined && digit !== null;
    if (given && !this.conditional) {
      throw new Error(`this model is unconditional (no "label" input), so generate() takes no digit (got ${digit})`);
    }
    if (given) checkDigit(digit);
    const z = latents(seed, n);
    return this.run(z, this.conditional ? labelsFor(n, given ? digit : null) : null);
  }
}

/**
 * WASM threads for onnxruntime-web: every core the browser offers when the page is
 * cross-origin isolated (serve sends COOP and COEP), which threads need; else one.
 */
export function wasmThreads() {
  const isolated = globalThis.crossOriginIsolated === true;
  return isolated ? Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1) : 1;
}

/** Load gen.onnx from `modelUrl` with the onnxruntime-web module at `ortUrl`. */
export async function loadModel(modelUrl, ortUrl) {
  const ort = await import(ortUrl);
  ort.env.wasm.wasmPaths = new URL('./', new URL(ortUrl, location.href)).href;
  ort.env.wasm.numThreads = wasmThreads();
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`GET ${modelUrl}: ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const meta = onnxMetadata(bytes);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const model = new Model(ort, session, meta);
  model.fileBytes = bytes.length;
  model.threads = ort.env.wasm.numThreads;
  return model;
}
