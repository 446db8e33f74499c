// page.js: the DCGAN page's UI (index.html). It runs the served generator (model.onnx,
// beside the page) in the browser with onnxruntime-web's WASM backend, through dcgan.js,
// and draws digit grids laid out exactly like the PNGs of `infer`. Every URL is
// relative, so the page works under any path prefix.
//
// Page API (DESIGN.md §9):
//   window.dcgan.ready                  Promise, resolves once the model is loaded
//   window.dcgan.generate(seed, n, d?)  Promise<Float32Array> of n·784 values, [n,1,28,28]
//   window.dcgan.firstGrid              Promise, resolves when the first grid is drawn
//   window.dcgan.firstGridMs            performance.now() when it was drawn

import {
  MAX_N, NUM_CLASSES, digitsAll, gridPixels, interpolate, labelsFor, latents, loadModel, nearSquareCols, parseSeed,
  randomSeed,
} from './dcgan.js';
import { stateFromUrl } from './page-state.js';

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
    api.fileBytes = m.fileBytes;
    api.threads = m.threads;
    api.conditional = m.conditional;
    api.modelReadyMs = performance.now();
    return m;
  });
  window.dcgan = api;

  // State, from the URL first.
  const { state, notes } = stateFromUrl(location.search);

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
    // "0–9 rows" is `infer --digits all -n N`: 10·N latents in order, row r digit r.
    const plan = rows ? digitsAll(job.n) : { count: job.n, cols: nearSquareCols(job.n), labels: labelsFor(job.n, digit) };
    const { count, cols } = plan;
    const labels = conditional ? plan.labels : null;
    let z = cachedLatents(job.seed, count);
    if (job.t > 0) z = interpolate(z, cachedLatents(job.seedB, count), job.t, job.mode);
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
      ['weights', `${p.precision ?? '?'}, ${(m.fileBytes / 1e6).toFixed(2)} MB`],
      ['producer', p.producer ?? [m.meta.producerName, m.meta.producerVersion].filter(Boolean).join(' ')],
      ['batchnorm', p.batchnorm],
      ['config', p.config_digest],
      ['latent', p.latent_dim && `${p.latent_dim} × ${p.latent_distribution ?? '?'}`],
      ['loaded', `${(api.modelReadyMs / 1000).toFixed(2)} s after navigation (onnxruntime-web ${m.ort.env.versions?.web ?? ''}, WASM)`],
      ['threads', `${m.threads} WASM thread${m.threads === 1 ? '' : 's'} (${navigator.hardwareConcurrency ?? '?'} cores offered, ${crossOriginIsolated ? '' : 'not '}cross-origin isolated)`],
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

startPage();
