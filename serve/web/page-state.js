// page-state.js: what the page shows, as its URL asks for it (?seed=&n=&scale=&digit=
// &rows=1&to=&t=&interp=linear), with a note for every value it had to ignore. Apart
// from page.js, which needs a browser, so that Node's tests can check it.

import { MASK64, MAX_N, MAX_SCALE, NUM_CLASSES, parseSeed, randomSeed } from './dcgan.js';

/** Tiles when the URL names no n. */
export const DEFAULT_N = 25;
/** Pixels per image pixel when the URL names no scale. */
export const DEFAULT_SCALE = 3;

/**
 * The page's state from a query string: { state, notes }. A value out of range or
 * unreadable keeps the default and adds a note; a bad seed draws a random one.
 * state: { seed, n, scale, digit (null: any), rows, seedB (default seed + 1), t, mode }.
 */
export function stateFromUrl(search) {
  // Number('') is 0: an empty value is no value, not zero.
  const number = (text) => (text.trim() === '' ? NaN : Number(text));
  const q = new URLSearchParams(search);
  const notes = [];
  const intParam = (name, lo, hi, fallback) => {
    if (!q.has(name)) return fallback;
    const v = number(q.get(name));
    if (Number.isInteger(v) && v >= lo && v <= hi) return v;
    notes.push(`${name}=${q.get(name)} ignored (${lo}–${hi})`);
    return fallback;
  };
  const seedParam = (name, fallback) => {
    if (!q.has(name)) return fallback();
    try {
      return parseSeed(q.get(name));
    } catch (e) {
      notes.push(`${name}=${q.get(name)} ignored (${e.message})`);
      return fallback();
    }
  };
  const state = {
    seed: seedParam('seed', randomSeed),
    n: intParam('n', 1, MAX_N, DEFAULT_N),
    scale: intParam('scale', 1, MAX_SCALE, DEFAULT_SCALE),
    digit: intParam('digit', 0, NUM_CLASSES - 1, null),
    rows: q.get('rows') === '1',
    seedB: null,
    t: 0,
    mode: q.get('interp') === 'linear' ? 'lerp' : 'slerp',
  };
  state.seedB = seedParam('to', () => (state.seed + 1n) & MASK64);
  if (q.has('t')) {
    const t = number(q.get('t'));
    if (t >= 0 && t <= 1) state.t = t;
    else notes.push(`t=${q.get('t')} ignored (0–1)`);
  }
  return { state, notes };
}
