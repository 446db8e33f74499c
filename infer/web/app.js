// The DCGAN page: runs the served generator (/model.onnx) in the browser with
// onnxruntime-web's WASM backend and draws digit grids laid out exactly like the
// PNGs of `infer` (infer/src/grid.rs).
//
// One ES module. The pure parts (latents, interpolation, grid layout, ONNX metadata)
// are exported and importable from Node (test/latent.test.mjs); the page itself starts
// only when a `document` exists.
//
// Page API (DESIGN.md §9):
//   window.dcgan.ready                  Promise, resolves once the model is loaded
//   window.dcgan.generate(seed, n, d?)  Promise<Float32Array> of n·784 values, [n,1,28,28]
//   window.dcgan.firstGrid              Promise, resolves when the first grid is drawn
//   window.dcgan.firstGridMs            performance.now() when it was drawn

export const LATENT_DIM = 100;
export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
/** Black pixels around and between tiles, as `GRID_PAD` in infer/src/grid.rs. */
export const GRID_PAD = 2;
export const MAX_N = 100;
export const MAX_SCALE = 8;
export const NUM_CLASSES = 10;
/** Rows per model run: bounds the memory of one run whatever n a caller asks for. */
export const BATCH = 256;

const MASK64 = (1n << 64n) - 1n;

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
// Grids, laid out as infer/src/grid.rs lays them out.

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
// ONNX metadata, read straight from the model's protobuf bytes.

function readVarint(buf, pos) {
  let value = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('not an ONNX model: truncated protobuf varint');
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) return [value, pos];
  }
}

/** The protobuf fields of buf[start, end): {field, wire, value} (value: number or [start, end) bytes). */
function* protoFields(buf, start, end) {
  let pos = start;
  while (pos < end) {
    const [key, p] = readVarint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    pos = p;
    if (wire === 0) {
      const [value, q] = readVarint(buf, pos);
      pos = q;
      yield { field, wire, value };
      continue;
    }
    let len;
    if (wire === 1) len = 8;
    else if (wire === 5) len = 4;
    else if (wire === 2) [len, pos] = readVarint(buf, pos);
    else throw new Error(`not an ONNX model: protobuf wire type ${wire} at byte ${pos}`);
    if (pos + len > end) throw new Error('not an ONNX model: protobuf field runs past the end');
    yield { field, wire, start: pos, end: pos + len };
    pos += len;
  }
}

/**
 * What a ModelProto says about itself: ir_version (1), producer_name (2),
 * producer_version (3) and metadata_props (14: StringStringEntryProto {1: key, 2: value}).
 */
export function onnxMetadata(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const text = new TextDecoder();
  const str = (f) => text.decode(buf.subarray(f.start, f.end));
  const out = { irVersion: null, producerName: '', producerVersion: '', props: {} };
  for (const f of protoFields(buf, 0, buf.length)) {
    if (f.field === 1 && f.wire === 0) out.irVersion = f.value;
    else if (f.field === 2 && f.wire === 2) out.producerName = str(f);
    else if (f.field === 3 && f.wire === 2) out.producerVersion = str(f);
    else if (f.field === 14 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of protoFields(buf, f.start, f.end)) {
        if (e.field === 1 && e.wire === 2) key = str(e);
        else if (e.field === 2 && e.wire === 2) value = str(e);
      }
      out.props[key] = value;
    }
  }
  return out;
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

// ---------------------------------------------------------------------------------
// The model in the browser.

class Model {
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

async function loadModel(modelUrl, ortUrl) {
  const ort = await import(ortUrl);
  ort.env.wasm.wasmPaths = new URL('./', new URL(ortUrl, location.href)).href;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`GET ${modelUrl}: ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const meta = onnxMetadata(bytes);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return new Model(ort, session, meta);
}

// ---------------------------------------------------------------------------------
// The page.

function startPage() {
  const $ = (id) => document.getElementById(id);
  const ui = {
    seed: $('seed'), newSeed: $('new-seed'), n: $('n'), nOut: $('n-out'), scale: $('scale'),
    digitBox: $('digit-box'), digits: $('digits'), rows: $('rows'),
    seedB: $('seed-b'), newSeedB: $('new-seed-b'), t: $('t'), tOut: $('t-out'),
    slerp: $('mode-slerp'), lerp: $('mode-lerp'), download: $('download'),
    canvas: $('grid'), status: $('status'), caption: $('caption'), meta: $('meta'), timing: $('timing'),
  };
  const ctx = ui.canvas.getContext('2d');

  let markFirstGrid;
  const firstGrid = new Promise((resolve) => { markFirstGrid = resolve; });
  const api = {
    ready: null,
    firstGrid,
    firstGridMs: null,
    modelReadyMs: null,
    grids: 0,
    latents,
    generate: async (seed, n, digit) => (await api.ready).generate(seed, n, digit),
  };
  let model = null;
  api.ready = loadModel(new URL('model.onnx', new URL('./', import.meta.url)).href,
    new URL('ort/ort.wasm.min.mjs', import.meta.url).href).then((m) => {
    model = m;
    api.model = m;
    api.metadata = m.meta;
    api.conditional = m.conditional;
    api.modelReadyMs = performance.now();
    return m;
  });
  window.dcgan = api;

  // State, from the URL first.
  const q = new URLSearchParams(location.search);
  const notes = [];
  const state = {
    seed: 0n, n: 25, scale: 3, digit: null, rows: false,
    seedB: null, t: 0, mode: q.get('interp') === 'linear' ? 'lerp' : 'slerp',
  };
  const intParam = (name, lo, hi, fallback) => {
    if (!q.has(name)) return fallback;
    const v = Number(q.get(name));
    if (Number.isInteger(v) && v >= lo && v <= hi) return v;
    notes.push(`${name}=${q.get(name)} ignored (${lo}–${hi})`);
    return fallback;
  };
  try {
    state.seed = q.has('seed') ? parseSeed(q.get('seed')) : randomSeed();
  } catch (e) {
    notes.push(e.message);
    state.seed = randomSeed();
  }
  state.n = intParam('n', 1, MAX_N, 25);
  state.scale = intParam('scale', 1, MAX_SCALE, 3);
  state.digit = q.has('digit') ? intParam('digit', 0, 9, null) : null;
  state.rows = q.get('rows') === '1';
  try {
    state.seedB = q.has('to') ? parseSeed(q.get('to')) : (state.seed + 1n) & MASK64;
  } catch (e) {
    notes.push(e.message);
    state.seedB = (state.seed + 1n) & MASK64;
  }
  if (q.has('t')) {
    const t = Number(q.get('t'));
    if (t >= 0 && t <= 1) state.t = t;
    else notes.push(`t=${q.get('t')} ignored (0–1)`);
  }

  // Controls.
  for (let d = -1; d < NUM_CLASSES; d++) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = d < 0 ? 'any' : String(d);
    b.dataset.digit = d < 0 ? '' : String(d);
    b.title = d < 0 ? 'row i asks for digit i mod 10' : `every digit a ${d}`;
    b.addEventListener('click', () => {
      state.digit = d < 0 ? null : d;
      state.rows = false;
      syncControls();
      requestRender();
    });
    ui.digits.insertBefore(b, ui.rows);
  }

  function syncControls() {
    ui.seed.value = String(state.seed);
    ui.n.value = String(state.n);
    ui.nOut.value = String(state.n);
    ui.scale.value = String(state.scale);
    ui.seedB.value = String(state.seedB);
    ui.t.value = String(state.t);
    ui.tOut.value = state.t.toFixed(2);
    ui.slerp.checked = state.mode === 'slerp';
    ui.lerp.checked = state.mode === 'lerp';
    ui.rows.setAttribute('aria-pressed', String(state.rows));
    for (const b of ui.digits.querySelectorAll('button[data-digit]')) {
      const on = !state.rows && b.dataset.digit === (state.digit === null ? '' : String(state.digit));
      b.setAttribute('aria-pressed', String(on));
    }
  }

  function setStatus(text, isError = false) {
    ui.status.textContent = text;
    ui.status.classList.toggle('error', isError);
  }

  function readSeedInput(input, key) {
    try {
      state[key] = parseSeed(input.value);
      input.setCustomValidity('');
      return true;
    } catch (e) {
      input.setCustomValidity(e.message);
      input.reportValidity();
      setStatus(e.message, true);
      return false;
    }
  }

  ui.seed.addEventListener('change', () => { if (readSeedInput(ui.seed, 'seed')) requestRender(); });
  ui.seed.addEventListener('keydown', (e) => { if (e.key === 'Enter' && readSeedInput(ui.seed, 'seed')) requestRender(); });
  ui.newSeed.addEventListener('click', () => {
    state.seed = randomSeed();
    state.t = 0;
    syncControls();
    requestRender();
  });
  ui.n.addEventListener('input', () => {
    state.n = Math.min(MAX_N, Math.max(1, Number(ui.n.value) | 0));
    ui.nOut.value = String(state.n);
    requestRender();
  });
  ui.scale.addEventListener('change', () => {
    state.scale = Number(ui.scale.value);
    requestRender();
  });
  ui.rows.addEventListener('click', () => {
    state.rows = !state.rows;
    syncControls();
    requestRender();
  });
  ui.seedB.addEventListener('change', () => { if (readSeedInput(ui.seedB, 'seedB')) requestRender(); });
  ui.newSeedB.addEventListener('click', () => {
    state.seedB = randomSeed();
    syncControls();
    requestRender();
  });
  ui.t.addEventListener('input', () => {
    state.t = Number(ui.t.value);
    ui.tOut.value = state.t.toFixed(2);
    requestRender();
  });
  for (const r of [ui.slerp, ui.lerp]) {
    r.addEventListener('change', () => {
      state.mode = ui.lerp.checked ? 'lerp' : 'slerp';
      requestRender();
    });
  }
  ui.download.addEventListener('click', () => {
    ui.canvas.toBlob((blob) => {
      if (!blob) return;
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `digits-seed-${state.seed}${state.t > 0 ? `-to-${state.seedB}-t${state.t.toFixed(2)}` : ''}.png`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }, 'image/png');
  });

  // Rendering: the latest request wins; at most one model run is in flight, at most one waits.
  let busy = false;
  let pending = null;
  const latentCache = new Map();
  function cachedLatents(seed, n) {
    const key = `${seed}:${n}`;
    let z = latentCache.get(key);
    if (!z) {
      if (latentCache.size > 8) latentCache.clear();
      z = latents(seed, n);
      latentCache.set(key, z);
    }
    return z;
  }

  function requestRender() {
    pending = { ...state };
    if (!busy) pump();
  }

  async function pump() {
    busy = true;
    try {
      await api.ready;
      while (pending) {
        const job = pending;
        pending = null;
        try {
          await render(job);
        } catch (e) {
          setStatus(e.message, true);
        }
      }
    } catch {
      // The model failed to load; the status line says why.
    } finally {
      busy = false;
    }
  }

  async function render(job) {
    const t0 = performance.now();
    const conditional = model.conditional;
    const rows = conditional && job.rows;
    const digit = conditional ? job.digit : null;
    let z = cachedLatents(job.seed, job.n);
    if (job.t > 0) z = interpolate(z, cachedLatents(job.seedB, job.n), job.t, job.mode);
    let count = job.n;
    let cols = nearSquareCols(job.n);
    let labels = conditional ? labelsFor(job.n, digit) : null;
    if (rows) {
      // Ten rows, one per digit; column j uses latent j in every row (same style, other digit).
      const zz = new Float32Array(NUM_CLASSES * z.length);
      labels = new BigInt64Array(NUM_CLASSES * job.n);
      for (let d = 0; d < NUM_CLASSES; d++) {
        zz.set(z, d * z.length);
        labels.fill(BigInt(d), d * job.n, (d + 1) * job.n);
      }
      z = zz;
      count = NUM_CLASSES * job.n;
      cols = job.n;
    }
    const values = await model.run(z, labels);
    const t1 = performance.now();
    const g = gridPixels(values, count, cols, job.scale);
    ui.canvas.width = g.width;
    ui.canvas.height = g.height;
    ctx.putImageData(new ImageData(g.data, g.width, g.height), 0, 0);
    const t2 = performance.now();

    const params = new URLSearchParams({ seed: String(job.seed), n: String(job.n), scale: String(job.scale) });
    if (digit !== null && !rows) params.set('digit', String(digit));
    if (rows) params.set('rows', '1');
    if (job.t > 0) {
      params.set('to', String(job.seedB));
      params.set('t', String(job.t));
      if (job.mode === 'lerp') params.set('interp', 'linear');
    }
    history.replaceState(null, '', `${location.pathname}?${params}`);

    const what = rows ? `digits 0–9, ${job.n} per row` : digit !== null ? `${count} × digit ${digit}` : `${count} digits`;
    const path = job.t > 0 ? `, ${job.t.toFixed(2)} of the way to seed ${job.seedB} (${job.mode === 'slerp' ? 'spherical' : 'linear'})` : '';
    ui.caption.textContent = `seed ${job.seed} — ${what}${path}`;
    const ms = t1 - t0;
    ui.timing.textContent = `${count} image${count === 1 ? '' : 's'} in ${ms.toFixed(1)} ms (${Math.round((count * 1000) / Math.max(ms, 0.01))} images/s), drawn in ${(t2 - t1).toFixed(1)} ms`;
    setStatus(notes.join('; '));
    notes.length = 0; // what the URL had wrong is said once, with the first grid
    api.grids += 1;
    api.lastGridMs = t2;
    if (api.firstGridMs === null) {
      api.firstGridMs = t2;
      markFirstGrid(t2);
    }
  }

  function showMeta(m) {
    const p = m.meta.props;
    const rowsOf = [
      ['model', m.conditional ? `conditional (label input), ${p.num_classes ?? NUM_CLASSES} classes` : 'unconditional'],
      ['dataset', p.dataset],
      ['epochs', p.epochs],
      ['producer', p.producer ?? [m.meta.producerName, m.meta.producerVersion].filter(Boolean).join(' ')],
      ['batchnorm', p.batchnorm],
      ['config', p.config_digest],
      ['latent', p.latent_dim && `${p.latent_dim} × ${p.latent_distribution ?? '?'}`],
      ['loaded', `${(api.modelReadyMs / 1000).toFixed(2)} s after navigation (onnxruntime-web ${m.ort.env.versions?.web ?? ''}, WASM)`],
    ];
    if ('conditional' in p && !m.conditional) rowsOf.push(['conditional', p.conditional]);
    ui.meta.replaceChildren();
    for (const [k, v] of rowsOf) {
      if (v === undefined || v === null || v === '') continue;
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      ui.meta.append(dt, dd);
    }
  }

  syncControls();
  setStatus('loading the model…');
  api.ready.then(
    (m) => {
      ui.digitBox.hidden = !m.conditional;
      if (!m.conditional && state.digit !== null) {
        notes.push(`digit=${state.digit} ignored: this model is unconditional`);
        state.digit = null;
      }
      if (!m.conditional) state.rows = false;
      document.body.classList.add('ready');
      showMeta(m);
      syncControls();
      requestRender();
    },
    (e) => {
      setStatus(`could not load the model: ${e.message}`, true);
      console.error('dcgan: could not load the model', e);
    },
  );
}

if (typeof window !== 'undefined' && typeof document !== 'undefined') {
  startPage();
}
