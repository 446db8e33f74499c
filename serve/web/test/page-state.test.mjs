// The page's state from its URL (page-state.js): `node --test test/` (npm test) in serve/web.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MASK64, MAX_N, MAX_SCALE } from '../dcgan.js';
import { DEFAULT_N, DEFAULT_SCALE, stateFromUrl } from '../page-state.js';

test('a full URL is read as written', () => {
  const { state, notes } = stateFromUrl('?seed=42&n=64&scale=2&digit=7&rows=1&to=9&t=0.25&interp=linear');
  assert.deepEqual(state, { seed: 42n, n: 64, scale: 2, digit: 7, rows: true, seedB: 9n, t: 0.25, mode: 'lerp' });
  assert.deepEqual(notes, []);
});

test('an empty URL gives the defaults, a random seed and its successor', () => {
  const { state, notes } = stateFromUrl('');
  assert.equal(state.n, DEFAULT_N);
  assert.equal(state.scale, DEFAULT_SCALE);
  assert.equal(state.digit, null);
  assert.equal(state.rows, false);
  assert.equal(state.t, 0);
  assert.equal(state.mode, 'slerp');
  assert.equal(state.seedB, (state.seed + 1n) & MASK64);
  assert.deepEqual(notes, []);
});

test('the largest seed is followed by 0', () => {
  const { state } = stateFromUrl(`?seed=${MASK64}`);
  assert.equal(state.seedB, 0n);
});

test('every value out of range keeps its default and is noted once', () => {
  const { state, notes } = stateFromUrl(`?seed=x&n=${MAX_N + 1}&scale=${MAX_SCALE + 1}&digit=10&to=-1&t=2`);
  assert.equal(state.n, DEFAULT_N);
  assert.equal(state.scale, DEFAULT_SCALE);
  assert.equal(state.digit, null);
  assert.equal(state.t, 0);
  assert.equal(state.seedB, (state.seed + 1n) & MASK64);
  assert.equal(notes.length, 6, notes.join('; '));
  assert.match(notes[0], /^seed=x ignored \(/);
  assert.equal(notes[1], `n=${MAX_N + 1} ignored (1–${MAX_N})`);
  assert.equal(notes[2], `scale=${MAX_SCALE + 1} ignored (1–${MAX_SCALE})`);
  assert.equal(notes[3], 'digit=10 ignored (0–9)');
  assert.match(notes[4], /^to=-1 ignored \(/);
  assert.equal(notes[5], 't=2 ignored (0–1)');
});

test('an empty value is noted, not read as 0', () => {
  const { state, notes } = stateFromUrl('?digit=&t=');
  assert.equal(state.digit, null);
  assert.equal(state.t, 0);
  assert.deepEqual(notes, ['digit= ignored (0–9)', 't= ignored (0–1)']);
});

test('a fractional n is not rounded', () => {
  const { state, notes } = stateFromUrl('?n=2.5');
  assert.equal(state.n, DEFAULT_N);
  assert.deepEqual(notes, [`n=2.5 ignored (1–${MAX_N})`]);
});
