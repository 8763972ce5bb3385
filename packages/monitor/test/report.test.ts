import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, datasetDrift, DatasetProfile, reportToJson, writeHtmlReport, writeJsonReport, type ColumnSpec } from '../src/index.js';
import { normals } from './helpers.js';

const schema: ColumnSpec[] = [
  { name: 'age', type: 'numeric' },
  { name: 'income', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
  { name: 'missing', type: 'numeric' },
];

function profile(n: number, seed: number, shift: number): DatasetProfile {
  const r = normals(seed);
  const p = new DatasetProfile(schema, { reservoirSize: 500 });
  const plans = ['basic', 'pro', 'team'];
  p.update({
    age: Array.from({ length: n }, () => 40 + 10 * (r() + shift)),
    income: Array.from({ length: n }, () => Math.exp(10 + 0.5 * r())),
    plan: Array.from({ length: n }, () => plans[Math.min(2, Math.floor(Math.abs(r() + shift)))]),
    missing: Array.from({ length: n }, () => null),
  });
  return p;
}

describe('HTML report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders one distribution chart per feature, the drift share and metrics over time, with no network', async () => {
    const drift = datasetDrift(profile(3000, 1, 0), profile(2500, 2, 0.6));
    const report = buildReport({
      title: 'Churn model <v3>',
      drift,
      generatedAt: '2025-01-01T00:00:00Z',
      metricsHistory: Array.from({ length: 8 }, (_, i) => ({ at: `day ${i + 1}`, metrics: { accuracy: 0.92 - i * 0.01, f1: 0.88 - i * 0.015 } })),
    });
    const dir = mkdtempSync(join(tmpdir(), 'monitor-report-'));
    const html = join(dir, 'report.html');
    writeHtmlReport(html, report);
    writeJsonReport(join(dir, 'report.json'), report);
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).drift.columns).toHaveLength(4);
    expect(reportToJson(report)).not.toContain('NaN');

    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(await page.title()).toBe('Churn model <v3>');
    const features = await page.$$eval('section.feature', (els) =>
      els.map((e) => ({
        column: e.getAttribute('data-column'),
        charts: e.querySelectorAll('svg.dist-chart').length,
        paths: [...e.querySelectorAll('svg.dist-chart path.series')].map((p) => (p.getAttribute('d') ?? '').length),
        width: (e.querySelector('svg.dist-chart') as SVGSVGElement).getBoundingClientRect().width,
      })),
    );
    expect(features.map((f) => f.column)).toEqual(['age', 'income', 'plan', 'missing']);
    for (const f of features.slice(0, 3)) {
      expect(f.charts).toBe(1);
      expect(f.paths).toHaveLength(2); // reference and current overlaid
      expect(Math.min(...f.paths)).toBeGreaterThan(20);
      expect(f.width).toBeGreaterThan(100);
    }
    expect(features[3].paths).toHaveLength(0); // all-null column: explicit "no data" chart
    const share = await page.$eval('svg.share-chart rect.share-bar', (r) => Number(r.getAttribute('width')));
    expect(share).toBeCloseTo(drift.share * 400, 1);
    const lines = await page.$$eval('svg.metrics-chart path.metric-line', (ps) => ps.map((p) => ({ m: p.getAttribute('data-metric'), n: (p.getAttribute('d') ?? '').split(/[ML]/).length - 1 })));
    expect(lines).toEqual([{ m: 'accuracy', n: 8 }, { m: 'f1', n: 8 }]);
    expect(await page.$eval('section.feature[data-column="age"] .badge', (b) => b.textContent)).toBe('DRIFT');
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.screenshot({ path: '/tmp/gantry-monitor-report.png', fullPage: true });
    await page.close();
  });
});
