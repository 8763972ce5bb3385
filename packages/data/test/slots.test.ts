import { describe, expect, it } from 'vitest';
import { SLOT_BATCH, SLOT_MESSAGE, SlotReader, SlotWriter, createSlotRing } from '../src/slots.js';

// Both ends in one thread: the ring's logic (order, wrap-around, backpressure, cancellation);
// the loader tests run it across threads.
describe('slot ring', () => {
  const f32 = (...v: number[]) => Float32Array.from(v);
  /** A ring with both of its ends. */
  const ring = (slots: number, xCap: number, yCap: number) => {
    const init = createSlotRing(slots, xCap, yCap);
    return { init, w: new SlotWriter(init), r: new SlotReader(init) };
  };

  it('hands items over in order, through many wrap-arounds, and copies them out exactly', async () => {
    const { w, r } = ring(3, 6, 2);
    for (let k = 0; k < 10; k++) {
      expect(await w.acquire(1)).toBe(true);
      if (k % 4 === 3) w.publishMessage(1);
      else w.publishBatch(1, 2, f32(k, k + 1, k + 2, k + 3), f32(-k, -k - 1));
      const item = r.peek()!;
      expect(item.run).toBe(1);
      if (k % 4 === 3) expect(item.kind).toBe(SLOT_MESSAGE);
      else {
        expect(item).toEqual({ run: 1, kind: SLOT_BATCH, n: 2 });
        const { x, y } = r.views();
        expect(Array.from(x)).toEqual([k, k + 1, k + 2, k + 3]);
        expect(Array.from(y)).toEqual([-k, -k - 1]);
      }
      r.free();
      expect(r.peek()).toBeUndefined();
    }
  });

  it('a writer waits while every slot is full, and goes on once one is freed', async () => {
    const { w, r } = ring(2, 4, 0);
    for (let k = 0; k < 2; k++) {
      expect(await w.acquire(1)).toBe(true);
      w.publishBatch(1, 1, f32(k), f32());
    }
    let got: boolean | undefined;
    const p = w.acquire(1).then((v) => (got = v));
    await new Promise((res) => setTimeout(res, 20));
    expect(got).toBeUndefined();
    r.free();
    await p;
    expect(got).toBe(true);
  });

  it('a full writer wakes once half the ring is free, at a flush or when the ring runs low', async () => {
    const { w, r } = ring(4, 1, 0);
    const fill = async (k0: number, count: number) => {
      for (let k = 0; k < count; k++) {
        expect(await w.acquire(1)).toBe(true);
        w.publishBatch(1, 1, f32(k0 + k), f32());
      }
    };
    const settle = () => new Promise((res) => setTimeout(res, 10));
    await fill(0, 4);
    let got = false;
    let p = w.acquire(1).then(() => (got = true));
    await settle();
    r.free();
    r.flush();
    await settle();
    expect(got).toBe(false); // one slot free: still waiting
    r.free(); // two free, but the wake-up waits for a flush
    await settle();
    expect(got).toBe(false);
    r.flush();
    await p;
    await fill(10, 2);
    // without a flush: the free that leaves one item wakes the writer
    got = false;
    p = w.acquire(1).then(() => (got = true));
    r.free();
    r.free();
    await settle();
    expect(got).toBe(false);
    r.free(); // one item left
    await p;
    expect(Array.from(r.views().x)).toEqual([11]);
  });

  it('cancelling a run releases a waiting writer with false; a new writer continues the count', async () => {
    const { init, w, r } = ring(1, 4, 0);
    expect(await w.acquire(1)).toBe(true);
    w.publishBatch(1, 1, f32(7), f32());
    const p = w.acquire(1);
    r.cancel(1);
    expect(await p).toBe(false);
    r.drain();
    expect(r.peek()).toBeUndefined();
    // the next run (a persistent worker gets the ring again): items continue where they were
    const w2 = new SlotWriter(init);
    expect(await w2.acquire(2)).toBe(true);
    w2.publishBatch(2, 1, f32(8), f32());
    expect(r.peek()).toEqual({ run: 2, kind: SLOT_BATCH, n: 1 });
    expect(Array.from(r.views().x)).toEqual([8]);
  });

  it('a reader waiting for an item wakes when one is published, or when woken', async () => {
    const { w, r } = ring(2, 4, 0);
    const a = r.wait();
    await w.acquire(1);
    w.publishBatch(1, 1, f32(1), f32());
    await a;
    expect(r.peek()?.n).toBe(1);
    r.free();
    const b = r.wait();
    r.wake();
    await b;
    expect(r.peek()).toBeUndefined();
  });

  it('knows what fits a slot', () => {
    const w = new SlotWriter(createSlotRing(1, 4, 2));
    expect(w.fits(new Float32Array(4), new Float32Array(2))).toBe(true);
    expect(w.fits(new Float32Array(5), new Float32Array(2))).toBe(false);
    expect(w.fits(new Float32Array(4), new Float32Array(3))).toBe(false);
  });
});
