import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracy, GoldenDataset, MonitorError, RetrainPolicy, type GoldenRow } from '../src/index.js';

const rows: GoldenRow[] = Array.from({ length: 40 }, (_, i) => ({ x: i / 40, y: (i * 7) % 5 }));
const labels = rows.map((r) => ((r.x as number) > 0.5 ? 1 : 0));

describe('GoldenDataset', () => {
  it('versions are content-hashed, immutable and verified on load', () => {
    const root = mkdtempSync(join(tmpdir(), 'golden-'));
    const v1 = GoldenDataset.create(root, 'churn', { rows, labels, task: 'classification' });
    expect(v1.manifest.version).toBe('v1');
    expect(GoldenDataset.create(root, 'churn', { rows, labels, task: 'classification' }).manifest.version).toBe('v1'); // same content, no new version
    const v2 = GoldenDataset.create(root, 'churn', { rows: rows.slice(1), labels: labels.slice(1), task: 'classification' });
    expect(v2.manifest.version).toBe('v2');
    expect(v2.manifest.hash).not.toBe(v1.manifest.hash);
    expect(GoldenDataset.versions(root, 'churn')).toEqual(['v1', 'v2']);
    expect(() => GoldenDataset.create(root, 'churn', { rows, labels, task: 'classification' }, { version: 'v1' })).toThrow(/immutable/);
    expect(GoldenDataset.load(root, 'churn', 'v1').labels).toEqual(labels);
    // tamper with v1: loading must refuse it
    writeFileSync(join(root, 'churn', 'v1', 'data.json'), JSON.stringify({ rows, labels: labels.map(() => 0) }));
    try {
      GoldenDataset.load(root, 'churn', 'v1');
      expect.unreachable();
    } catch (e) {
      expect((e as MonitorError).code).toBe('CORRUPT_DATASET');
    }
    expect(() => GoldenDataset.load(root, 'nope')).toThrow(/no version/);
  });

  it('evaluates models and names the better of champion and challenger', async () => {
    const root = mkdtempSync(join(tmpdir(), 'golden-'));
    const g = GoldenDataset.create(root, 'm', { rows, labels, task: 'classification' });
    const champion = (rs: GoldenRow[]) => rs.map((r) => ((r.x as number) > 0.7 ? 1 : 0));
    const challenger = (rs: GoldenRow[]) => rs.map((r) => ((r.x as number) > 0.5 ? 1 : 0));
    const m = await g.evaluate(champion);
    expect(m.accuracy).toBe(accuracy(labels, champion(rows)));
    const c = await g.compare(champion, challenger, { metric: 'accuracy' });
    expect(c.winner).toBe('challenger');
    expect(c.challenger).toBe(1);
    expect((await g.compare(challenger, champion, { metric: 'accuracy' })).winner).toBe('champion');
    await expect(g.evaluate(() => [1, 0])).rejects.toThrow(/2 predictions for 40 rows/);
  });
});

describe('RetrainPolicy', () => {
  const policy = new RetrainPolicy({
    metrics: [{ metric: 'accuracy', min: 0.9 }, { metric: 'rmse', max: 2 }],
    maxDriftShare: 0.5,
    features: ['age'],
    detectors: ['adwin'],
    minSamples: 500,
    cooldownMs: 3600_000,
  });
  const t0 = Date.UTC(2025, 0, 1);
  it('returns reasons as data', () => {
    const d = policy.evaluate({
      now: t0,
      samples: 1000,
      metrics: { accuracy: 0.85, rmse: 1 },
      drift: { share: 0.6, columns: [{ column: 'age', drifted: true, test: 'ks', score: 0.001 }, { column: 'x', drifted: false }] },
      alarms: [{ detector: 'adwin', at: 123 }, { detector: 'other' }],
    });
    expect(d.retrain).toBe(true);
    expect(d.reasons.map((r) => r.kind)).toEqual(['metric', 'drift_share', 'feature_drift', 'detector']);
    expect(d.reasons[0]).toMatchObject({ metric: 'accuracy', value: 0.85, bound: 'min', threshold: 0.9 });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
  it('no reason, no retrain; min samples and cooldown block', () => {
    expect(policy.evaluate({ now: t0, samples: 1000, metrics: { accuracy: 0.95 } }).retrain).toBe(false);
    const few = policy.evaluate({ now: t0, samples: 10, metrics: { accuracy: 0.5 } });
    expect(few.retrain).toBe(false);
    expect(few.blockedBy[0].kind).toBe('min_samples');
    const cool = policy.evaluate({ now: t0, lastRetrainAt: t0 - 60_000, samples: 1000, metrics: { accuracy: 0.5 } });
    expect(cool.retrain).toBe(false);
    expect(cool.blockedBy.map((b) => b.kind)).toEqual(['cooldown']);
    expect(policy.evaluate({ now: t0, lastRetrainAt: t0 - 7200_000, samples: 1000, metrics: { accuracy: 0.5 } }).retrain).toBe(true);
  });
  it('bad configuration and state are typed errors', () => {
    expect(() => new RetrainPolicy({ metrics: [{ metric: 'accuracy' }] })).toThrow(/'min' or 'max'/);
    expect(() => new RetrainPolicy({ maxDriftShare: 2 })).toThrow(MonitorError);
    expect(() => policy.evaluate({ now: t0, samples: 1000, metrics: { accuracy: Number.NaN } })).toThrow(/accuracy/);
  });
});
