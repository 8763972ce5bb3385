import { FeatureError } from '../errors.js';
import { murmur3String } from '../hash/murmur3.js';
import type { CategoricalStep, NumericStep } from './spec.js';

/**
 * The CPU semantics of fitted steps, shared by the batch path and the single-row serving path (so
 * both give bit-identical results). Arithmetic is float64; outputs are rounded to float32 once.
 * Missing values (NaN) pass through every step but 'impute'; one that reaches the output is an
 * error, as is a non-finite input or a non-finite result.
 */
export function applyNumeric(steps: readonly NumericStep[], names: readonly string[], x: Float64Array, column: string, rowOffset = 0): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v === Infinity || v === -Infinity) {
      throw new FeatureError('NON_FINITE', `column '${column}': row ${rowOffset + i} is ${v}; transform '${names[0] ?? 'identity'}' needs finite values (missing ones are null or NaN)`, { column, transform: names[0] });
    }
  }
  for (let s = 0; s < steps.length; s++) applyNumericStep(steps[s], names[s], x, column, rowOffset);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== v) {
      throw new FeatureError(
        'NON_FINITE',
        `column '${column}': row ${rowOffset + i} is missing (null or NaN) and its transforms [${names.join(', ') || 'none'}] have no 'impute' step to fill it`,
        { column, transform: names[names.length - 1] },
      );
    }
    if (v === Infinity || v === -Infinity) {
      throw new FeatureError('NON_FINITE', `column '${column}': transforms [${names.join(', ')}] produced ${v} at row ${rowOffset + i}`, { column, transform: names[names.length - 1] });
    }
  }
}

/** A compiled categorical chain: writes its columns for each row. */
export interface CategoricalEncoder {
  width: number;
  /** Writes row i's encoding at out[i * stride + offset ...]. Missing values are null. */
  encode(values: ArrayLike<string | null>, out: Float32Array, stride: number, offset: number): void;
}

export function compileCategorical(steps: readonly CategoricalStep[], column: string): CategoricalEncoder {
  let fill: string | null = null;
  let term: CategoricalStep | undefined;
  for (const s of steps) {
    if (s.op === 'imputeCategory') fill = s.value;
    else term = s;
  }
  if (!term) throw new FeatureError('BAD_STATE', `column '${column}': a categorical chain needs a oneHot, index or hash transform`, { column });
  const t = term;
  if (t.op === 'oneHot' || t.op === 'index') {
    const map = new Map<string, number>();
    t.categories.forEach((c, i) => map.set(c, i));
    const other = t.categories.length;
    const width = t.op === 'oneHot' ? other + 1 : 1;
    const oneHot = t.op === 'oneHot';
    return {
      width,
      encode(values, out, stride, offset) {
        for (let i = 0; i < values.length; i++) {
          const v = values[i] ?? fill;
          const j = v === null ? other : (map.get(v) ?? other);
          if (oneHot) {
            const base = i * stride + offset;
            for (let k = 0; k < width; k++) out[base + k] = 0;
            out[base + j] = 1;
          } else out[i * stride + offset] = j;
        }
      },
    };
  }
  if (t.op === 'hash') {
    const { nFeatures, alternateSign, input } = t;
    const prefix = input === 'pair' ? `${column}=` : '';
    return {
      width: nFeatures,
      encode(values, out, stride, offset) {
        for (let i = 0; i < values.length; i++) {
          const base = i * stride + offset;
          for (let k = 0; k < nFeatures; k++) out[base + k] = 0;
          const v = values[i] ?? fill;
          if (v === null) continue;
          const h = murmur3String(prefix + v, 0);
          const j = Math.abs(h) % nFeatures;
          out[base + j] += alternateSign && h < 0 ? -1 : 1;
        }
      },
    };
  }
  throw new FeatureError('BAD_STATE', `column '${column}': unknown categorical step ${JSON.stringify(t)}`, { column });
}

/** One numeric step over x in place (missing values pass through all but 'impute'). */
export function applyNumericStep(st: NumericStep, name: string, x: Float64Array, column: string, rowOffset = 0): void {
  const n = x.length;
  switch (st.op) {
    case 'impute': {
      const c = st.value;
      for (let i = 0; i < n; i++) if (x[i] !== x[i]) x[i] = c;
      break;
    }
    case 'affine': {
      const { center, scale, offset } = st;
      if (offset === 0) for (let i = 0; i < n; i++) x[i] = (x[i] - center) / scale;
      else for (let i = 0; i < n; i++) x[i] = (x[i] - center) / scale + offset;
      break;
    }
    case 'clip': {
      const lo = st.min ?? -Infinity;
      const hi = st.max ?? Infinity;
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v < lo) x[i] = lo;
        else if (v > hi) x[i] = hi;
      }
      break;
    }
    case 'log1p': {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v <= -1) throw new FeatureError('NON_FINITE', `column '${column}': transform 'log1p' needs x > -1, got ${v} at row ${rowOffset + i}`, { column, transform: name });
        x[i] = Math.log1p(v);
      }
      break;
    }
    case 'bucketize': {
      const b = st.boundaries;
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v !== v) continue;
        let lo = 0;
        let hi = b.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (b[mid] <= v) lo = mid + 1;
          else hi = mid;
        }
        x[i] = lo;
      }
      break;
    }
  }
}
