import { MonitorError } from '../errors.js';

export type Label = number | string | boolean;

/** Sorted unique labels, ordered as numpy's `np.unique` orders them (numbers numerically, strings by code point). */
export function sortedLabels(fn: string, ...arrays: ArrayLike<Label>[]): Label[] {
  const set = new Set<Label>();
  let kind: string | null = null;
  for (const xs of arrays) {
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      const k = typeof v;
      if (k !== 'number' && k !== 'string' && k !== 'boolean') throw new MonitorError('INVALID_VALUE', `${fn}: label ${JSON.stringify(v)} at index ${i} is not a number, string or boolean`);
      if (k === 'number' && !Number.isFinite(v as number)) throw new MonitorError('INVALID_VALUE', `${fn}: label ${v} at index ${i} is not finite`);
      const kk = k === 'boolean' ? 'number' : k;
      if (kind && kind !== kk) throw new MonitorError('INVALID_VALUE', `${fn}: labels mix numbers and strings (${JSON.stringify(v)} at index ${i}); use one type`);
      kind = kk;
      set.add(v);
    }
  }
  const out = [...set];
  if (kind === 'number') out.sort((a, b) => Number(a) - Number(b));
  else out.sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  return out;
}
