import { describe, expect, it } from 'vitest';
// The waiter is internal to the webgpu backend: its accounting is plain data, tested on its own
// with a fake clock.
import { Waiter } from '../src/backends/webgpu/waiter.js';

function clocked() {
  let t = 0;
  const w = new Waiter(0.9, 1, 32, () => t);
  return { w, advance: (ms: number) => (t += ms) };
}

describe('Waiter', () => {
  it('learns ns per unit from a completed wait and sleeps ~90% of the predicted time of the next', () => {
    const { w, advance } = clocked();
    w.submitted(10e6, 'matmul', 10e6);
    const a = w.ticket();
    expect(w.sleepMs(a)).toBe(0); // nothing learnt yet: poll at once
    advance(20);
    w.done(a); // 20 ms for 1e7 units: 2 ns per unit
    expect(w.estimateNsPerUnit(10e6)).toBeCloseTo(2, 10);
    w.submitted(10e6, 'matmul', 10e6);
    const b = w.ticket();
    advance(5);
    expect(w.sleepMs(b)).toBeCloseTo(20 * 0.9 - 5, 10);
  });

  it('a read issued before later submits waits only for its own work, and learns from it alone', () => {
    const { w, advance } = clocked();
    w.submitted(10e6, 'k', 10e6);
    advance(20);
    w.done(w.ticket()); // 2 ns per unit
    // a read after 10e6 more units; then the host queues 40e6 more before the read returns
    w.submitted(10e6, 'k', 10e6);
    const read = w.ticket();
    w.submitted(40e6, 'k', 10e6);
    expect(w.sleepMs(read)).toBeCloseTo(18, 10); // 10e6 units, not 50e6
    advance(20);
    w.done(read);
    expect(w.estimateNsPerUnit(10e6)).toBeCloseTo(2, 10); // 20 ms / 10e6, not / 50e6
    // the rest continues from now: a sync for everything predicts the remaining 40e6 units
    const all = w.ticket();
    expect(w.sleepMs(all)).toBeCloseTo(2 * 40 * 0.9, 6);
    // an older ticket that completes late teaches nothing and changes nothing
    advance(100);
    w.done(read);
    expect(w.sleepMs(all)).toBe(0);
  });

  it('a batch that compiled a pipeline teaches no rate; small ones neither', () => {
    const { w, advance } = clocked();
    w.submitted(10e6, 'k', 10e6, true);
    advance(500);
    w.done(w.ticket());
    expect(w.estimateNsPerUnit()).toBe(0);
    w.submitted(1e5, 'k', 1e5);
    advance(10);
    w.done(w.ticket());
    expect(w.estimateNsPerUnit()).toBe(0);
  });
});
