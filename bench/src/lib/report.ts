import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured row of a benchmark suite (the contract of bench/results/<suite>.json). */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The same quantity measured on the reference in the same run. */
  reference?: number;
  /** value ÷ reference. */
  ratio?: number;
  /** The target the row is held to, in the row's own terms (e.g. ">= 2 ratio", "<= 0.5 ms"). */
  bar?: string;
  pass?: boolean;
  /** Free text: the peer, the adapter, why a row was skipped. */
  note?: string;
}

export interface BenchContext {
  /** Small sizes, whole suite in under a minute. */
  quick: boolean;
  /** Structured progress line (stderr, so stdout stays the table). */
  log(msg: string): void;
}

/** A suite is a module under bench/src/suites exporting `run`. */
export type Suite = (ctx: BenchContext) => Promise<BenchRow[]>;

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results');

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3);
  return a >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

export function toMarkdown(suite: string, rows: BenchRow[], header = ''): string {
  const lines = [`# bench: ${suite}`, '', header, '', '| name | value | unit | reference | ratio | bar | pass | note |', '|---|---:|---|---:|---:|---|---|---|'];
  for (const r of rows) {
    const pass = r.pass === undefined ? '' : r.pass ? 'yes' : '**no**';
    lines.push(`| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${fmt(r.reference)} | ${fmt(r.ratio)} | ${r.bar ?? ''} | ${pass} | ${r.note ?? ''} |`);
  }
  return lines.join('\n') + '\n';
}

export function printTable(rows: BenchRow[]): void {
  const cols = ['name', 'value', 'unit', 'reference', 'ratio', 'bar', 'pass'] as const;
  const cells = rows.map((r) => [r.name, fmt(r.value), r.unit, fmt(r.reference), fmt(r.ratio), r.bar ?? '', r.pass === undefined ? '' : r.pass ? 'ok' : 'FAIL']);
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (xs: string[]) => xs.map((x, i) => x.padEnd(widths[i])).join('  ');
  console.log(line([...cols]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/** Writes results/<suite>.json and results/<suite>.md atomically (temp file + rename). */
export function writeResults(suite: string, rows: BenchRow[], header = ''): { json: string; md: string } {
  mkdirSync(resultsDir, { recursive: true });
  const json = join(resultsDir, `${suite}.json`);
  const md = join(resultsDir, `${suite}.md`);
  const write = (path: string, text: string) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  };
  write(json, JSON.stringify(rows, null, 2) + '\n');
  write(md, toMarkdown(suite, rows, header));
  return { json, md };
}

/** A row held to a lower bound on its ratio. */
export function ratioRow(name: string, value: number, reference: number, unit: string, minRatio?: number, note?: string): BenchRow {
  const ratio = value / reference;
  const row: BenchRow = { name, value, unit, reference, ratio };
  if (minRatio !== undefined) {
    row.bar = `ratio >= ${minRatio}`;
    row.pass = ratio >= minRatio;
  }
  if (note) row.note = note;
  return row;
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
