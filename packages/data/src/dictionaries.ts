/**
 * One dictionary per dictionary-encoded column across the batches of a written file. Batches
 * from different sources (or re-encoded ones) carry different dictionaries — or the same
 * values under a different dictionary id — and the Arrow IPC *file* format forbids replacing a
 * dictionary (apache-arrow's writer throws, or, when the ids differ, silently starts over and
 * drops what it wrote). So each column gets one growing dictionary: a batch's indices are
 * remapped into it, its new values appended as a new chunk, which the writer emits as a delta
 * dictionary batch; every batch is then written under the first batch's schema.
 */
import { Data, Dictionary, makeData, RecordBatch, Struct, Vector, vectorFromArray, type Schema } from 'apache-arrow';
import { DataError } from './errors.js';

interface ColumnDictionary {
  type: Dictionary;
  ids: Map<unknown, number>;
  chunks: Data[];
  size: number;
}

const INDEX_MAX: Record<number, number> = { 8: 127, 16: 32767, 32: 2147483647 };

export class DictionaryUnifier {
  private readonly columns = new Map<number, ColumnDictionary>();

  constructor(private readonly schema: Schema, private readonly file: string) {}

  /** The batch under the first batch's schema, its dictionary columns remapped into the shared dictionaries. */
  unify(b: RecordBatch): RecordBatch {
    const children = b.data.children.map((child, j) => {
      const type = this.schema.fields[j].type;
      return type instanceof Dictionary ? this.remap(j, type, child as Data<Dictionary>) : child;
    });
    if (children.every((c, j) => c === b.data.children[j]) && b.schema === this.schema) return b;
    return new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: b.numRows, children, nullCount: 0 }));
  }

  private remap(j: number, type: Dictionary, data: Data<Dictionary>): Data<Dictionary> {
    let col = this.columns.get(j);
    if (!col) {
      col = { type, ids: new Map(), chunks: [], size: 0 };
      this.columns.set(j, col);
    }
    const dict = data.dictionary;
    if (!dict) throw new DataError('TYPE', `dictionary column '${this.schema.fields[j].name}' has no dictionary`, { file: this.file, column: this.schema.fields[j].name });
    // this batch's dictionary position -> the shared dictionary's index
    const map = new Int32Array(dict.length);
    const added: unknown[] = [];
    for (let k = 0; k < dict.length; k++) {
      const v = dict.get(k);
      let id = col.ids.get(v);
      if (id === undefined) {
        id = col.size++;
        col.ids.set(v, id);
        added.push(v);
      }
      map[k] = id;
    }
    const max = INDEX_MAX[type.indices.bitWidth];
    if (col.size - 1 > max) {
      throw new DataError('TYPE', `dictionary column '${this.schema.fields[j].name}' has ${col.size} distinct values across batches, more than its ${type.indices.bitWidth}-bit indices hold`, { file: this.file, column: this.schema.fields[j].name });
    }
    if (added.length) col.chunks.push(vectorFromArray(added as never[], type.dictionary).data[0]);
    const old = data.values as ArrayLike<number>;
    const Indices = (type.indices as unknown as { ArrayType: new (n: number) => Int8Array | Int16Array | Int32Array }).ArrayType;
    const values = new Indices(data.length);
    for (let i = 0; i < data.length; i++) values[i] = map[old[i]] ?? 0; // null slots may hold anything
    return makeData({
      type,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullCount ? data.nullBitmap : undefined,
      offset: 0,
      data: values,
      dictionary: new Vector(col.chunks),
    } as never) as unknown as Data<Dictionary>;
  }
}
