import type { ColumnDriftResult } from '../drift/column-drift.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { MonitorReport } from './report.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: number | undefined): string => (v === undefined ? '—' : !Number.isFinite(v) ? String(v) : Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(3) : v.toFixed(4));
const REF = '#4e79a7';
const CUR = '#e15759';
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/** Overlaid reference/current distributions: step areas for numeric bins, paired bars for categories. */
function distributionSvg(c: ColumnDriftResult): string {
  const W = 360;
  const H = 140;
  const P = 24;
  const d = c.distribution;
  if (!d || d.reference.length === 0) return `<svg class="dist-chart empty" width="${W}" height="${H}" role="img" aria-label="no distribution"><text x="10" y="70">no data</text></svg>`;
  const maxY = Math.max(...d.reference, ...d.current, 1e-12);
  const k = d.reference.length;
  const bw = (W - 2 * P) / k;
  const y = (v: number) => H - P - (v / maxY) * (H - 2 * P);
  let body = '';
  if (d.kind === 'bins') {
    const path = (vs: number[]) => {
      let s = `M${P},${H - P}`;
      vs.forEach((v, i) => (s += ` L${(P + i * bw).toFixed(2)},${y(v).toFixed(2)} L${(P + (i + 1) * bw).toFixed(2)},${y(v).toFixed(2)}`));
      return s + ` L${W - P},${H - P} Z`;
    };
    body += `<path class="series reference" d="${path(d.reference)}" fill="${REF}" fill-opacity="0.35" stroke="${REF}"/>`;
    body += `<path class="series current" d="${path(d.current)}" fill="${CUR}" fill-opacity="0.35" stroke="${CUR}"/>`;
    const lo = d.edges?.[0];
    const hi = d.edges?.[d.edges.length - 1];
    body += `<text x="${P}" y="${H - 6}" font-size="10">${num(lo)}</text><text x="${W - P}" y="${H - 6}" font-size="10" text-anchor="end">${num(hi)}</text>`;
  } else {
    const bar = (vs: number[], off: number, color: string, cls: string) => {
      let s = `M0,0`;
      vs.forEach((v, i) => {
        const x = P + i * bw + off * (bw / 2);
        s += ` M${x.toFixed(2)},${H - P} V${y(v).toFixed(2)} H${(x + bw / 2 - 1).toFixed(2)} V${H - P} Z`;
      });
      return `<path class="series ${cls}" d="${s}" fill="${color}" fill-opacity="0.7"/>`;
    };
    body += bar(d.reference, 0, REF, 'reference') + bar(d.current, 1, CUR, 'current');
    (d.labels ?? []).slice(0, 12).forEach((l, i) => (body += `<text x="${(P + i * bw + bw / 2).toFixed(2)}" y="${H - 8}" font-size="9" text-anchor="middle">${esc(l.slice(0, 8))}</text>`));
  }
  return `<svg class="dist-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="distribution of ${esc(c.column)}"><line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#999"/>${body}</svg>`;
}

function shareSvg(share: number, threshold: number): string {
  const W = 400;
  const H = 36;
  const w = Math.max(0, Math.min(1, share)) * W;
  return `<svg class="share-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="dataset drift share"><rect x="0" y="8" width="${W}" height="20" fill="#eee"/><rect class="share-bar" x="0" y="8" width="${w.toFixed(2)}" height="20" fill="${share >= threshold ? CUR : '#59a14f'}"/><line x1="${threshold * W}" y1="2" x2="${threshold * W}" y2="34" stroke="#333" stroke-dasharray="3,2"/></svg>`;
}

function metricsSvg(r: MonitorReport): string {
  const hist = r.metricsHistory;
  const names = [...new Set(hist.flatMap((h) => Object.keys(h.metrics)))];
  if (hist.length === 0 || names.length === 0) return '<p class="no-metrics">No quality metrics recorded.</p>';
  const W = 640;
  const H = 220;
  const P = 36;
  let lo = Infinity;
  let hi = -Infinity;
  for (const h of hist) for (const n of names) {
    const v = h.metrics[n];
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x = (i: number) => P + (hist.length === 1 ? 0.5 : i / (hist.length - 1)) * (W - 2 * P);
  const y = (v: number) => H - P - ((v - lo) / (hi - lo)) * (H - 2 * P);
  let body = '';
  names.forEach((n, k) => {
    const pts = hist.map((h, i) => [i, h.metrics[n]] as const).filter(([, v]) => Number.isFinite(v));
    if (!pts.length) return;
    const d = pts.map(([i, v], j) => `${j ? 'L' : 'M'}${x(i).toFixed(2)},${y(v).toFixed(2)}`).join(' ');
    const color = PALETTE[k % PALETTE.length];
    body += `<path class="metric-line" data-metric="${esc(n)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    body += `<text x="${W - P + 4}" y="${(P + k * 14).toFixed(0)}" font-size="11" fill="${color}">${esc(n)}</text>`;
  });
  body += `<text x="4" y="${P}" font-size="10">${num(hi)}</text><text x="4" y="${H - P}" font-size="10">${num(lo)}</text>`;
  body += `<text x="${P}" y="${H - 8}" font-size="10">${esc(hist[0].at)}</text><text x="${W - P}" y="${H - 8}" font-size="10" text-anchor="end">${esc(hist[hist.length - 1].at)}</text>`;
  return `<svg class="metrics-chart" width="${W + 80}" height="${H}" viewBox="0 0 ${W + 80} ${H}" role="img" aria-label="quality metrics over time"><rect x="${P}" y="${P}" width="${W - 2 * P}" height="${H - 2 * P}" fill="none" stroke="#ddd"/>${body}</svg>`;
}

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched): the dataset
 * drift share, per feature the reference and current distributions overlaid with the drift
 * score, and quality metrics over time.
 */
export function renderHtmlReport(r: MonitorReport): string {
  const d = r.drift;
  const features = d.columns
    .map((c) => {
      const score = c.status === 'skipped' ? `<span class="skipped">skipped: ${esc(c.reason ?? '')}</span>` : `${esc(c.test ?? '')} ${c.kind === 'pvalue' ? 'p' : 'distance'} = <b>${num(c.score)}</b> (threshold ${num(c.threshold)})${c.exact ? '' : ' <i>from sketches</i>'}`;
      return `<section class="feature ${c.drifted ? 'drifted' : 'stable'}" data-column="${esc(c.column)}"><h3>${esc(c.column)} <small>${c.type}</small> <span class="badge">${c.drifted ? "DRIFT" : c.status === "skipped" ? "skipped" : "ok"}</span></h3><p class="score">${score}</p>${distributionSvg(c)}</section>`;
    })
    .join('\n');
  const mv = d.multivariate ? `<p>Multivariate energy test on ${d.multivariate.columns} numeric columns (${d.multivariate.rows} sampled rows): E = ${num(d.multivariate.statistic)}, p = ${num(d.multivariate.pvalue)} → ${d.multivariate.drifted ? 'drift' : 'no drift'}.</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
.grid{display:flex;flex-wrap:wrap;gap:16px}
.feature{border:1px solid #ddd;border-radius:6px;padding:8px 12px;width:380px}
.feature.drifted{border-color:${CUR}}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#eee}
.drifted .badge{background:${CUR};color:#fff}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
h3{margin:4px 0;font-size:15px} .score{margin:2px 0 6px;font-size:12px}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p>Generated ${esc(r.generatedAt)} · reference ${d.referenceRows} rows · current ${d.currentRows} rows</p>
<h2>Dataset drift</h2>
<p class="share-text"><b>${d.driftedColumns}</b> of ${d.testedColumns} columns drifted (${(d.share * 100).toFixed(1)}%); dataset drift: <b>${d.datasetDrift ? 'yes' : 'no'}</b> (threshold ${(d.driftShare * 100).toFixed(0)}%).</p>
${shareSvg(d.share, d.driftShare)}
${mv}
<h2>Quality metrics over time</h2>
${metricsSvg(r)}
<h2>Features</h2>
<p class="legend"><span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current</p>
<div class="grid">
${features}
</div>
</body></html>
`;
}

export function writeHtmlReport(path: string, r: MonitorReport): void {
  writeFileAtomic(path, renderHtmlReport(r));
}
