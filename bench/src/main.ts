/**
 * `pnpm bench [suite ...] [--quick]`: runs the named suites (all when none is named), prints a
 * table per suite and writes bench/results/<suite>.json and .md.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printTable, writeResults, type Suite } from './lib/report.js';

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), 'suites');
const available = readdirSync(suitesDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();

const args = process.argv.slice(2).filter((a) => a !== '--');
const quick = args.includes('--quick');
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick');
if (unknownFlags.length) {
  console.error(`bench: unknown option ${unknownFlags.join(', ')} (allowed: --quick)`);
  process.exit(2);
}
const wanted = args.filter((a) => !a.startsWith('-'));
for (const s of wanted) {
  if (!available.includes(s)) {
    console.error(`bench: unknown suite '${s}' (allowed: ${available.join(', ')})`);
    process.exit(2);
  }
}
const suites = wanted.length ? wanted : available;

let failed = 0;
for (const name of suites) {
  const started = performance.now();
  console.log(`\n== bench ${name}${quick ? ' (quick)' : ''} ==`);
  const mod = (await import(pathToFileURL(join(suitesDir, `${name}.ts`)).href)) as { run: Suite; header?: () => string };
  const rows = await mod.run({ quick, log: (m) => process.stderr.write(`[bench ${name}] ${m}\n`) });
  printTable(rows);
  const { json, md } = writeResults(name, rows, mod.header?.() ?? '');
  const fails = rows.filter((r) => r.pass === false).length;
  failed += fails;
  console.log(`\n${rows.length} rows, ${fails} below their bar, ${((performance.now() - started) / 1000).toFixed(1)} s → ${json}, ${md}`);
}
// GPU handles and worker pools must not keep the process alive after the report.
process.exit(0);
