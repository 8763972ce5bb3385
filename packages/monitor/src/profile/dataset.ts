import { readFileSync } from 'node:fs';
import { MonitorError } from '../errors.js';
import { mulberry32 } from '../drift/energy.js';
import { RowReservoir } from '../sketches/reservoir.js';
import { writeFileAtomic } from '../util/atomic.js';
import {
  CategoricalColumnProfile,
  NumericColumnProfile,
  type CategoricalColumnState,
  type ColumnProfile,
  type ColumnSpec,
  type NumericColumnState,
} from './column.js';

export interface ProfileOptions {
  /** Rows kept in the row-aligned reservoir (default 2000). While rows ≤ this, tests are exact. */
  reservoirSize?: number;
  /** KLL accuracy parameter (default 1024, rank error ≈ 0.2%). */
  kllK?: number;
  /** Seed of the reservoir and sketches, for reproducible profiles. */
  seed?: number;
}

export interface DatasetProfileState {
  format: 'gantry.monitor.profile';
  version: 1;
  rows: number;
  reservoirSize: number;
  kllK: number;
  seed: number;
  schema: ColumnSpec[];
  columns: (NumericColumnState | CategoricalColumnState)[];
}

/** A batch of rows in columnar form: column name → values (same length for every column). */
export type ColumnBatch = Record<string, ArrayLike<unknown>>;

/**
 * A profile of a dataset window, built in one streaming pass and mergeable: per column the null
 * count, mean/variance (Welford/Chan), KLL quantiles, exact counts of small numeric domains or of
 * categories, and a row-aligned reservoir sample. Its memory does not grow with the rows seen,
 * so a monitoring window is itself a profile and drift needs no raw reference data.
 */
export class DatasetProfile {
  readonly schema: ColumnSpec[];
  readonly reservoirSize: number;
  readonly kllK: number;
  readonly seed: number;
  private reservoir: RowReservoir;
  private readonly byName = new Map<string, ColumnProfile>();

  constructor(schema: ColumnSpec[], options: ProfileOptions = {}) {
    if (schema.length === 0) throw new MonitorError('SCHEMA_MISMATCH', 'DatasetProfile: the schema has no columns');
    const seen = new Set<string>();
    for (const c of schema) {
      if (c.type !== 'numeric' && c.type !== 'categorical') {
        throw new MonitorError('SCHEMA_MISMATCH', `DatasetProfile: column '${c.name}' has type ${JSON.stringify(c.type)}; allowed: 'numeric', 'categorical'`);
      }
      if (seen.has(c.name)) throw new MonitorError('SCHEMA_MISMATCH', `DatasetProfile: column '${c.name}' appears twice in the schema`);
      seen.add(c.name);
    }
    this.schema = schema.map((c) => ({ name: c.name, type: c.type }));
    this.reservoirSize = options.reservoirSize ?? 2000;
    this.kllK = options.kllK ?? 1024;
    this.seed = options.seed ?? 1;
    if (!Number.isInteger(this.reservoirSize) || this.reservoirSize < 1) {
      throw new MonitorError('INVALID_OPTION', `DatasetProfile: reservoirSize must be a positive integer, got ${this.reservoirSize}`);
    }
    this.reservoir = new RowReservoir(this.reservoirSize, this.seed);
    this.schema.forEach((c, i) => {
      this.byName.set(c.name, c.type === 'numeric' ? new NumericColumnProfile(c.name, this.reservoirSize, this.kllK, this.seed + i + 1) : new CategoricalColumnProfile(c.name, this.reservoirSize));
    });
  }

  /** Rows seen. */
  get rows(): number {
    return this.reservoir.seen;
  }

  /** True while the reservoir holds every row (then tests on the sample are exact). */
  get complete(): boolean {
    return this.reservoir.complete;
  }

  /** Rows held in the sample. */
  get sampleRows(): number {
    return this.reservoir.filled;
  }

  column(name: string): ColumnProfile {
    const c = this.byName.get(name);
    if (!c) throw new MonitorError('UNKNOWN_COLUMN', `DatasetProfile: no column '${name}' (columns: ${this.schema.map((s) => s.name).join(', ')})`);
    return c;
  }

  /** Adds a columnar batch; every schema column must be present with the same length. */
  update(batch: ColumnBatch): this {
    let len = -1;
    for (const c of this.schema) {
      const xs = batch[c.name];
      if (!xs) throw new MonitorError('SCHEMA_MISMATCH', `DatasetProfile.update: column '${c.name}' is missing from the batch (got: ${Object.keys(batch).join(', ')})`);
      if (len === -1) len = xs.length;
      else if (xs.length !== len) throw new MonitorError('LENGTH_MISMATCH', `DatasetProfile.update: column '${c.name}' has ${xs.length} values, expected ${len}`);
    }
    for (const k of Object.keys(batch)) {
      if (!this.byName.has(k)) throw new MonitorError('SCHEMA_MISMATCH', `DatasetProfile.update: column '${k}' is not in the schema (columns: ${this.schema.map((s) => s.name).join(', ')})`);
    }
    // One reservoir decision per row (shared by all columns), then each column in bulk.
    const sampleRows = new Int32Array(Math.min(len, this.reservoirSize * 4 + 16));
    let rowsBuf = sampleRows;
    let slotsBuf = new Int32Array(rowsBuf.length);
    let sampled = 0;
    for (let i = 0; i < len; i++) {
      const s = this.reservoir.next();
      if (s < 0) continue;
      if (sampled === rowsBuf.length) {
        const r2 = new Int32Array(rowsBuf.length * 2);
        r2.set(rowsBuf);
        const s2 = new Int32Array(rowsBuf.length * 2);
        s2.set(slotsBuf);
        rowsBuf = r2;
        slotsBuf = s2;
      }
      rowsBuf[sampled] = i;
      slotsBuf[sampled++] = s;
    }
    for (const c of this.schema) this.byName.get(c.name)!.addBatch(batch[c.name], len, rowsBuf, slotsBuf, sampled);
    return this;
  }

  /** Adds rows given as objects. */
  updateRows(rows: Record<string, unknown>[]): this {
    const batch: Record<string, unknown[]> = {};
    for (const c of this.schema) batch[c.name] = rows.map((r) => r[c.name]);
    for (const r of rows) for (const k of Object.keys(r)) if (!this.byName.has(k)) throw new MonitorError('SCHEMA_MISMATCH', `DatasetProfile.updateRows: column '${k}' is not in the schema`);
    return this.update(batch);
  }

  /** Folds another profile of the same schema into this one (sketches merge; samples are re-drawn in proportion). */
  merge(other: DatasetProfile): this {
    assertSameSchema('DatasetProfile.merge', this.schema, other.schema);
    const a = this.sampleIndices();
    const b = other.sampleIndices();
    const total = this.rows + other.rows;
    let takeA: number[];
    let takeB: number[];
    if (total <= this.reservoirSize) {
      takeA = a;
      takeB = b;
    } else {
      const rnd = mulberry32(this.seed ^ total);
      const shuffle = (xs: number[]) => {
        for (let i = xs.length - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [xs[i], xs[j]] = [xs[j], xs[i]];
        }
        return xs;
      };
      const na = Math.min(a.length, Math.round((this.reservoirSize * this.rows) / total));
      const nb = Math.min(b.length, this.reservoirSize - na);
      takeA = shuffle([...a]).slice(0, na);
      takeB = shuffle([...b]).slice(0, nb);
    }
    for (const c of this.schema) {
      const mine = this.byName.get(c.name)!;
      const theirs = other.byName.get(c.name)!;
      if (mine.type === 'numeric' && theirs.type === 'numeric') {
        const next = new Float64Array(this.reservoirSize).fill(Number.NaN);
        takeA.forEach((s, i) => (next[i] = mine.sample[s]));
        takeB.forEach((s, i) => (next[takeA.length + i] = theirs.sample[s]));
        mine.merge(theirs);
        mine.sample = next;
      } else if (mine.type === 'categorical' && theirs.type === 'categorical') {
        const next: (string | null)[] = new Array(this.reservoirSize).fill(null);
        takeA.forEach((s, i) => (next[i] = mine.sample[s]));
        takeB.forEach((s, i) => (next[takeA.length + i] = theirs.sample[s]));
        mine.merge(theirs);
        mine.sample = next;
      }
    }
    const merged = new RowReservoir(this.reservoirSize, this.seed);
    merged.seen = total;
    // A merged sample is complete only when it holds every row of both sides.
    this.reservoir = merged;
    if (total > this.reservoirSize) this.reservoir.seen = Math.max(total, this.reservoirSize + 1);
    return this;
  }

  private sampleIndices(): number[] {
    return Array.from({ length: this.reservoir.filled }, (_, i) => i);
  }

  /** The sampled rows of the named numeric columns (rows with a missing value dropped). */
  sampleMatrix(columns: string[]): number[][] {
    const cols = columns.map((n) => {
      const c = this.column(n);
      if (c.type !== 'numeric') throw new MonitorError('SCHEMA_MISMATCH', `sampleMatrix: column '${n}' is categorical; only numeric columns allowed`);
      return c.sample;
    });
    const out: number[][] = [];
    for (let r = 0; r < this.sampleRows; r++) {
      const row = cols.map((s) => s[r]);
      if (row.every((v) => !Number.isNaN(v))) out.push(row);
    }
    return out;
  }

  toJSON(): DatasetProfileState {
    const filled = this.sampleRows;
    return {
      format: 'gantry.monitor.profile',
      version: 1,
      rows: this.rows,
      reservoirSize: this.reservoirSize,
      kllK: this.kllK,
      seed: this.seed,
      schema: this.schema,
      columns: this.schema.map((c) => this.byName.get(c.name)!.toJSON(filled)),
    };
  }

  static fromJSON(s: DatasetProfileState): DatasetProfile {
    if (s?.format !== 'gantry.monitor.profile' || s.version !== 1) {
      throw new MonitorError('INVALID_VALUE', `DatasetProfile.fromJSON: not a profile (format ${JSON.stringify(s?.format)}, version ${JSON.stringify(s?.version)}); expected gantry.monitor.profile v1`);
    }
    const p = new DatasetProfile(s.schema, { reservoirSize: s.reservoirSize, kllK: s.kllK, seed: s.seed });
    p.reservoir.seen = s.rows;
    for (const c of s.columns) {
      p.byName.set(c.name, c.type === 'numeric' ? NumericColumnProfile.fromJSON(c, s.reservoirSize) : CategoricalColumnProfile.fromJSON(c, s.reservoirSize));
    }
    return p;
  }

  /** Writes the profile as JSON atomically (temp file + rename), e.g. next to the model. */
  save(path: string): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON()));
  }

  static load(path: string): DatasetProfile {
    return DatasetProfile.fromJSON(JSON.parse(readFileSync(path, 'utf8')) as DatasetProfileState);
  }
}

export function assertSameSchema(fn: string, a: ColumnSpec[], b: ColumnSpec[]): void {
  const fmt = (s: ColumnSpec[]) => s.map((c) => `${c.name}:${c.type}`).join(', ');
  const mb = new Map(b.map((c) => [c.name, c.type]));
  const bad = a.length !== b.length || a.some((c) => mb.get(c.name) !== c.type);
  if (bad) throw new MonitorError('SCHEMA_MISMATCH', `${fn}: schemas differ — reference [${fmt(a)}] vs current [${fmt(b)}]`);
}

/** Infers a schema from a columnar batch: numbers (or null) → numeric, anything else → categorical. */
export function inferSchema(batch: ColumnBatch): ColumnSpec[] {
  return Object.entries(batch).map(([name, xs]) => {
    let numeric = true;
    for (let i = 0; i < xs.length; i++) {
      const v = xs[i];
      if (v === null || v === undefined) continue;
      if (typeof v !== 'number') {
        numeric = false;
        break;
      }
    }
    return { name, type: numeric ? 'numeric' : 'categorical' } as ColumnSpec;
  });
}
