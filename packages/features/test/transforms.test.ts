import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FeaturePipeline, Transform, murmur3String, type TransformSpec } from '../src/index.js';

// Reference outputs from scikit-learn 1.2.1 / NumPy 1.24.2, produced by
//   /usr/bin/python3 packages/features/test/fixtures/make_sklearn.py > packages/features/test/fixtures/sklearn.json
// (the script is next to the fixture and states every call).
const sk = JSON.parse(readFileSync(new URL('./fixtures/sklearn.json', import.meta.url), 'utf8'));

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

async function pipe(values: Record<string, unknown[]>, transforms: TransformSpec[], column = Object.keys(values)[0]): Promise<Float32Array> {
  const p = new FeaturePipeline([{ column, transforms }]);
  await p.fit([values as never]);
  return p.transformBatch(values as never);
}

describe('murmur3 and the feature hasher (scikit-learn convention)', () => {
  it('murmur3String equals sklearn.utils.murmurhash3_32 (signed) on ASCII, UTF-8 and empty strings', () => {
    expect(sk.words.map((w: string) => murmur3String(w, 0))).toEqual(sk.murmur.seed0);
    expect(sk.words.map((w: string) => murmur3String(w, 42))).toEqual(sk.murmur.seed42);
  });

  it("hash equals FeatureHasher(input_type='string') and, with input 'pair', input_type='dict'", async () => {
    const out = await pipe({ w: sk.words }, [{ type: 'hash', nFeatures: 16 }]);
    expect(Array.from(out)).toEqual(sk.hasher_string.flat());
    const p = new FeaturePipeline([{ column: 'city', transforms: [{ type: 'hash', nFeatures: 7, input: 'pair' }] }]);
    await p.fit([{ city: sk.words }]);
    expect(Array.from(p.transformBatch({ city: sk.words }))).toEqual(sk.hasher_dict.flat());
  });
});

describe('transforms against scikit-learn', () => {
  it('standardScale = StandardScaler, minMaxScale = MinMaxScaler((-1, 2)), robustScale = RobustScaler (exact at small n)', async () => {
    expect(maxRel(await pipe({ x: sk.x }, [{ type: 'standardScale' }]), sk.standard)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.x }, [{ type: 'minMaxScale', range: [-1, 2] }]), sk.minmax)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.x }, [{ type: 'robustScale' }]), sk.robust)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.x }, [{ type: 'robustScale', quantileRange: [10, 90] }]), sk.robust_10_90)).toBeLessThan(1e-6);
  });

  it('impute = SimpleImputer (mean, median, most_frequent, constant)', async () => {
    expect(maxRel(await pipe({ x: sk.xm }, [{ type: 'impute', strategy: 'mean' }]), sk.impute_mean)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.xm }, [{ type: 'impute', strategy: 'median' }]), sk.impute_median)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.xi }, [{ type: 'impute', strategy: 'mostFrequent' }]), sk.impute_most_frequent)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.xm }, [{ type: 'impute', strategy: 'constant', value: -3.5 }]), sk.impute_constant)).toBeLessThan(1e-6);
  });

  it('chains fitted in one pass equal scikit-learn Pipelines fitted stage by stage', async () => {
    expect(maxRel(await pipe({ x: sk.xm }, [{ type: 'impute', strategy: 'mean' }, { type: 'standardScale' }]), sk.impute_mean_then_standard)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.xm }, [{ type: 'impute', strategy: 'median' }, { type: 'log1p' }, { type: 'robustScale' }]), sk.impute_median_then_log1p_then_robust)).toBeLessThan(1e-6);
    expect(maxRel(await pipe({ x: sk.x }, [{ type: 'standardScale' }, { type: 'minMaxScale' }]), sk.standard_then_minmax)).toBeLessThan(1e-6);
  });

  it("oneHot(topK) = OneHotEncoder(max_categories=topK+1, handle_unknown='infrequent_if_exist'); unseen → other", async () => {
    const frequent = sk.onehot_categories.filter((c: string) => !sk.onehot_infrequent.includes(c));
    const p = new FeaturePipeline([{ column: 'c', transforms: [{ type: 'oneHot', topK: frequent.length }] }]);
    await p.fit([{ c: sk.cats }]);
    expect(p.outputNames).toEqual([...frequent.map((c: string) => `c=${c}`), 'c=__other__']);
    expect(Array.from(p.transformBatch({ c: sk.cats }))).toEqual(sk.onehot.flat());
    expect(Array.from(p.transformRow({ c: 'zzz' }))).toEqual(sk.onehot_unseen[0]);
    expect(Array.from(p.transformRow({ c: null }))).toEqual(sk.onehot_unseen[0]);
  });

  it("bucketize(buckets) = KBinsDiscretizer(strategy='quantile', encode='ordinal') at small n", async () => {
    const out = await pipe({ x: sk.x }, [{ type: 'bucketize', buckets: 4 }]);
    expect(Array.from(out)).toEqual(sk.kbins);
  });
});

describe('the uniform Transform interface', () => {
  it('update/merge/finalize/transform, and the fit state round-trips through JSON', () => {
    const a = new Transform({ type: 'standardScale' }).update(sk.x.slice(0, 30));
    const b = Transform.fromJSON(JSON.parse(JSON.stringify(new Transform({ type: 'standardScale' }).update(sk.x.slice(30)).toJSON())));
    const f = a.merge(b).finalize();
    expect(maxRel(f.transform(sk.x), sk.standard)).toBeLessThan(1e-9);
    expect(f.transform([null])[0]).toBeNaN();
    const idx = new Transform({ type: 'index' }).update(['b', 'a', 'b', 'c', 'b', 'a']).finalize();
    expect(idx.step).toEqual({ op: 'index', categories: ['b', 'a', 'c'] });
    expect(Array.from(idx.transform(['a', 'zzz', null]))).toEqual([1, 3, 3]);
    const lg = new Transform({ type: 'log1p' }).finalize();
    expect(Array.from(lg.transform([0, 1e-10, Math.E - 1]))).toEqual([0, Math.log1p(1e-10), 1]);
    const cl = new Transform({ type: 'clip', min: -1, max: 2 }).finalize();
    expect(Array.from(cl.transform([-5, 0.5, 9]))).toEqual([-1, 0.5, 2]);
    const bk = new Transform({ type: 'bucketize', boundaries: [0, 1, 2] }).finalize();
    expect(Array.from(bk.transform([-1, 0, 0.5, 1, 2, 3]))).toEqual([0, 1, 1, 2, 3, 3]);
  });
});
