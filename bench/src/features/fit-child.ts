/** Child: fits the benchmark pipeline over an Arrow IPC file, reports rows/s and (via rss.ts) peak RSS. */
import { FeaturePipeline } from '@gantry/features';
import { reportAndExit } from '../lib/rss.js';
import { SPEC, readData } from './common.js';

const path = process.argv[2];
const t0 = performance.now();
const p = await new FeaturePipeline(SPEC).fit(readData(path));
const ms = performance.now() - t0;
const json = JSON.stringify(p.toJSON());
reportAndExit({ rows: p.toJSON().rows, fitMs: ms, rowsPerSec: (p.toJSON().rows / ms) * 1000, pipelineBytes: json.length, width: p.outputWidth });
