import { Field, Float32, RecordBatch, Schema, Struct, makeData, vectorFromArray, type Vector } from 'apache-arrow';

/** One batch of a DataLoader. */
export interface BatchInit {
  x: Float32Array;
  y: Float32Array;
  n: number;
  featureNames: string[];
  label?: string;
  columns?: Record<string, Vector>;
  epoch?: number;
  index?: number;
}

export class Batch {
  /** Features, row-major, shape [n, d]: row i is x[i*d .. i*d + d). */
  readonly x: Float32Array;
  /** The label of each row (length n); empty when the loader has no label. */
  readonly y: Float32Array;
  /** Rows in this batch (batchSize except maybe the last of an epoch). */
  readonly n: number;
  /** Number of features: x.length / n. */
  readonly d: number;
  /** The columns of x, in order. */
  readonly featureNames: string[];
  /** The label column's name, when there is one. */
  readonly label?: string;
  /** Categorical / string columns, passed through as Arrow vectors (same row order as x). */
  readonly columns: Record<string, Vector>;
  /** 0-based epoch, counted across the iterations of its loader (DataLoader.setEpoch). */
  readonly epoch: number;
  /** 0-based index of this batch within its epoch. */
  readonly index: number;

  constructor(b: BatchInit) {
    this.x = b.x;
    this.y = b.y;
    this.n = b.n;
    this.featureNames = b.featureNames;
    this.d = b.featureNames.length;
    if (b.label !== undefined) this.label = b.label;
    this.columns = b.columns ?? {};
    this.epoch = b.epoch ?? 0;
    this.index = b.index ?? 0;
  }

  /** A column by name: a Float32Array for a feature or the label (copied out of x), a Vector for a passthrough column. */
  column(name: string): Float32Array | Vector {
    if (name in this.columns) return this.columns[name];
    if (name === this.label) return this.y;
    const j = this.featureNames.indexOf(name);
    if (j < 0) throw new Error(`batch has no column '${name}'`);
    const out = new Float32Array(this.n);
    const d = this.d;
    for (let i = 0; i < this.n; i++) out[i] = this.x[i * d + j];
    return out;
  }

  /**
   * The batch as an Arrow RecordBatch: the features (Float32), the label (Float32) and the
   * passthrough columns, in the same row order.
   */
  toRecordBatch(): RecordBatch {
    const fields: Field[] = [];
    const children = [];
    for (const name of this.featureNames) {
      fields.push(new Field(name, new Float32(), true));
      children.push(makeData({ type: new Float32(), length: this.n, data: this.column(name) as Float32Array }));
    }
    if (this.label !== undefined && this.y.length === this.n) {
      fields.push(new Field(this.label, new Float32(), true));
      children.push(makeData({ type: new Float32(), length: this.n, data: this.y }));
    }
    for (const [name, v] of Object.entries(this.columns)) {
      fields.push(new Field(name, v.type, true));
      children.push(v.data.length === 1 ? v.data[0] : flatten(v));
    }
    const schema = new Schema(fields);
    return new RecordBatch(schema, makeData({ type: new Struct(fields), length: this.n, children, nullCount: 0 }));
  }
}

/** One Data for a multi-chunk vector (copies through the values). */
function flatten(v: Vector) {
  const values: unknown[] = [];
  for (let i = 0; i < v.length; i++) values.push(v.get(i));
  return vectorFromArray(values as never[], v.type).data[0];
}
