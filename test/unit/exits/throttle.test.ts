import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Throttle, type Timers } from '../../../adapter/exits/throttle';

/** A hand-driven clock. */
function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let pending: { at: number; fn: () => void } | undefined;
  return {
    now: () => now,
    setTimeout: (fn, ms) => (pending = { at: now + ms, fn }),
    clearTimeout: () => (pending = undefined),
    advance(ms) {
      now += ms;
      if (pending !== undefined && pending.at <= now) {
        const { fn } = pending;
        pending = undefined;
        fn();
      }
    },
  };
}

test('the first change goes out at once, a burst after it as one trailing call', () => {
  const timers = fakeTimers();
  let calls = 0;
  const t = new Throttle(() => calls++, 250, timers);
  t.poke();
  assert.equal(calls, 1);
  for (let i = 0; i < 1000; i++) t.poke();
  assert.equal(calls, 1);
  timers.advance(249);
  assert.equal(calls, 1);
  timers.advance(1);
  assert.equal(calls, 2);
  timers.advance(1000);
  assert.equal(calls, 2, 'no change, no call');
});

test('at most 1000/interval calls a second under a continuous stream of changes', () => {
  const timers = fakeTimers();
  let calls = 0;
  const t = new Throttle(() => calls++, 250, timers);
  for (let ms = 0; ms < 10_000; ms++) {
    t.poke();
    timers.advance(1);
  }
  assert.ok(calls <= 41 && calls >= 39, `${calls} calls in 10 s`);
});

test('flush delivers a pending call now; dispose drops it', () => {
  const timers = fakeTimers();
  let calls = 0;
  const t = new Throttle(() => calls++, 250, timers);
  t.poke();
  t.poke();
  t.flush();
  assert.equal(calls, 2);
  t.poke();
  t.dispose();
  timers.advance(1000);
  t.poke();
  assert.equal(calls, 2);
});
