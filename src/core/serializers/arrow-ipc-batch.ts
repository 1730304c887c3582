import { ipcFail, type FbTable, type FbVector, type FlatBuffer } from "./arrow-flatbuffer.js";
import type { FieldShape } from "./arrow-ipc-schema.js";

/** What a batch is checked against besides its schema. */
export interface BatchContext {
  /** Longest column accepted: 8 rows per payload byte, as if every row took at least one bit. */
  rowCap: number;
  /** Current length of each dictionary, for index range checks. */
  dictLengths: Map<number, number>;
  /** Unions carried a validity buffer before metadata V5 (Arrow format 1.0). */
  unionHasValidity: boolean;
}

/**
 * Checks RecordBatch { length: 0, nodes: 1, buffers: 2, compression: 3, variadicBufferCounts: 4 }
 * against `fields` and its `body`, the way apache-arrow's VectorLoader will walk it: one FieldNode
 * per field in pre-order, that field's buffers, then its children. Returns the batch length.
 */
export function checkRecordBatch(fb: FlatBuffer, rb: FbTable, body: Uint8Array, fields: FieldShape[], ctx: BatchContext): number {
  const length = fb.i64(rb, 0, 0);
  if (length < 0 || length > ctx.rowCap) ipcFail(`batch claims ${length} rows, more than its bytes can hold`);
  if (fb.sub(rb, 3)) ipcFail("compressed record batch bodies are not accepted");
  const cur = new BatchCursor(fb, fb.vector(rb, 1, 16), fb.vector(rb, 2, 16), fb.vector(rb, 4, 8), body, ctx.rowCap);
  for (const f of fields) {
    if (checkNode(f, cur, ctx) !== length) ipcFail("a column's length differs from its batch's");
  }
  cur.finish();
  return length;
}

/** Walks nodes, buffers and variadic counts in order; every buffer inside the body, in order, not overlapping. */
class BatchCursor {
  private ni = 0;
  private bi = 0;
  private vi = 0;
  private lastEnd = 0;

  constructor(
    private readonly fb: FlatBuffer,
    private readonly nodes: FbVector | undefined,
    private readonly buffers: FbVector | undefined,
    private readonly variadic: FbVector | undefined,
    private readonly body: Uint8Array,
    private readonly rowCap: number,
  ) {}

  /** FieldNode { length: int64, null_count: int64 }. */
  node(): { length: number; nulls: number } {
    if (this.ni >= (this.nodes?.n ?? 0)) ipcFail("fewer field nodes than the schema has fields");
    const p = this.nodes!.at + 16 * this.ni++;
    const length = this.fb.int64At(p);
    const nulls = this.fb.int64At(p + 8);
    if (length < 0 || length > this.rowCap) ipcFail(`column claims ${length} rows, more than its bytes can hold`);
    if (nulls < 0 || nulls > length) ipcFail("null count outside 0..length");
    return { length, nulls };
  }

  /**
   * Buffer { offset: int64, length: int64 } as a view of the body. Writers lay buffers out one after
   * another; requiring that (empty buffers aside) keeps every byte scanned at most once per batch.
   */
  buffer(): Uint8Array {
    if (this.bi >= (this.buffers?.n ?? 0)) ipcFail("fewer buffers than the schema needs");
    const p = this.buffers!.at + 16 * this.bi++;
    const off = this.fb.int64At(p);
    const len = this.fb.int64At(p + 8);
    if (off < 0 || len < 0 || off + len > this.body.length) ipcFail("buffer outside the message body");
    if (len > 0) {
      if (off < this.lastEnd) ipcFail("buffers overlap or are out of order");
      this.lastEnd = off + len;
    }
    return this.body.subarray(off, off + len);
  }

  /** variadicBufferCounts entry of the next view-typed field. */
  variadicCount(): number {
    if (this.vi >= (this.variadic?.n ?? 0)) ipcFail("missing variadic buffer count");
    const n = this.fb.int64At(this.variadic!.at + 8 * this.vi++);
    if (n < 0 || n > (this.buffers?.n ?? 0) - this.bi) ipcFail("variadic buffer count exceeds the buffers");
    return n;
  }

  /** Nothing left over: apache-arrow would silently ignore extra nodes or buffers. */
  finish(): void {
    if (this.ni !== (this.nodes?.n ?? 0) || this.bi !== (this.buffers?.n ?? 0) || this.vi !== (this.variadic?.n ?? 0)) {
      ipcFail("more field nodes or buffers than the schema has fields");
    }
  }
}

/** One field node and its buffers (Arrow columnar format, "Buffer Listing for Each Layout"); returns its length. */
function checkNode(f: FieldShape, cur: BatchCursor, ctx: BatchContext): number {
  const { length: n, nulls } = cur.node();
  const layout = f.layout;
  if (f.dictionary) {
    const valid = validity(cur, n, nulls);
    const indices = need(cur.buffer(), n * (f.dictionary.indexBits / 8));
    const dictLength = ctx.dictLengths.get(f.dictionary.id) ?? ipcFail(`dictionary ${f.dictionary.id} used before it was sent`);
    checkIndices(indices, n, f.dictionary, dictLength, valid);
    return n;
  }
  switch (layout.kind) {
    case "null": // no buffers at all
      return n;
    case "fixed": {
      const valid = validity(cur, n, nulls);
      const values = need(cur.buffer(), Math.ceil((n * layout.bits) / 8));
      if (layout.safeInt64) checkSafeInt64(values, n, valid);
      return n;
    }
    case "binary": {
      validity(cur, n, nulls);
      const offsets = cur.buffer();
      checkOffsets(offsets, n, layout.offsetBytes, cur.buffer().length);
      return n;
    }
    case "view": {
      const valid = validity(cur, n, nulls);
      const views = need(cur.buffer(), n * 16);
      const data = Array.from({ length: cur.variadicCount() }, () => cur.buffer().length);
      checkViews(views, n, data, valid);
      return n;
    }
    case "list": {
      validity(cur, n, nulls);
      const offsets = cur.buffer();
      checkOffsets(offsets, n, layout.offsetBytes, checkNode(f.children[0]!, cur, ctx));
      return n;
    }
    case "fixedList":
      validity(cur, n, nulls);
      if (checkNode(f.children[0]!, cur, ctx) < n * layout.size) ipcFail("fixed-size list child shorter than the list needs");
      return n;
    case "struct":
      validity(cur, n, nulls);
      for (const c of f.children) if (checkNode(c, cur, ctx) < n) ipcFail("struct child shorter than the struct");
      return n;
    case "union":
      return checkUnion(f, layout, n, cur, ctx);
  }
}

/** Sparse: type ids; children as long as the union. Dense: type ids, int32 offsets into the chosen child. */
function checkUnion(f: FieldShape, layout: Extract<FieldShape["layout"], { kind: "union" }>, n: number, cur: BatchCursor, ctx: BatchContext): number {
  if (ctx.unionHasValidity) cur.buffer(); // read and ignored by apache-arrow
  const types = need(cur.buffer(), n);
  const offsets = layout.dense ? need(cur.buffer(), n * 4) : undefined;
  const childLengths = f.children.map((c) => checkNode(c, cur, ctx));
  if (!layout.dense && childLengths.some((l) => l < n)) ipcFail("sparse union child shorter than the union");
  const childOf = new Int16Array(128).fill(-1);
  layout.typeIds.forEach((id, i) => (childOf[id] = i));
  const dv = view(offsets ?? types);
  for (let i = 0; i < n; i++) {
    const child = types[i]! < 128 ? childOf[types[i]!]! : -1;
    if (child < 0) ipcFail("union slot with an undeclared type id");
    const at = offsets ? dv.getInt32(4 * i, true) : i;
    if (at < 0 || at >= childLengths[child]!) ipcFail("union slot points past its child");
  }
  return n;
}

/** Validity bitmap: absent when there are no nulls; otherwise ≥ ceil(n/8) bytes whose zero bits number exactly `nulls`. */
function validity(cur: BatchCursor, n: number, nulls: number): Uint8Array | undefined {
  const b = cur.buffer();
  if (nulls === 0) return undefined;
  need(b, Math.ceil(n / 8));
  if (n - countSetBits(b, n) !== nulls) ipcFail("null count disagrees with the validity bitmap");
  return b;
}

/** Offsets: n + 1 non-decreasing, non-negative values ending within `limit` (an empty buffer is allowed for n = 0). */
function checkOffsets(b: Uint8Array, n: number, width: 4 | 8, limit: number): void {
  if (n === 0 && b.length === 0) return;
  need(b, (n + 1) * width);
  const dv = view(b);
  const at = width === 4 ? (i: number) => dv.getInt32(4 * i, true) : (i: number) => dv.getInt32(8 * i + 4, true) * 2 ** 32 + dv.getUint32(8 * i, true);
  let prev = at(0);
  if (prev < 0) ipcFail("negative offset");
  for (let i = 1; i <= n; i++) {
    const v = at(i);
    if (v < prev) ipcFail("offsets decrease");
    prev = v;
  }
  if (prev > limit) ipcFail("offsets point past their data");
}

/** Binary views: length ≤ 12 inline; longer ones name a variadic buffer and a range inside it. */
function checkViews(b: Uint8Array, n: number, data: number[], valid: Uint8Array | undefined): void {
  const dv = view(b);
  for (let i = 0; i < n; i++) {
    if (valid && !bit(valid, i)) continue; // null slots' views are unspecified
    const len = dv.getInt32(16 * i, true);
    if (len < 0) ipcFail("negative view length");
    if (len <= 12) continue;
    const buf = dv.getInt32(16 * i + 8, true);
    const off = dv.getInt32(16 * i + 12, true);
    if (buf < 0 || buf >= data.length || off < 0 || off + len > data[buf]!) ipcFail("view points outside its data buffers");
  }
}

/** Every non-null int64 value is a safe integer (what apache-arrow can turn into a Number). */
function checkSafeInt64(b: Uint8Array, n: number, valid: Uint8Array | undefined): void {
  const dv = view(b);
  for (let i = 0; i < n; i++) {
    if (valid && !bit(valid, i)) continue;
    if (!Number.isSafeInteger(dv.getInt32(8 * i + 4, true) * 2 ** 32 + dv.getUint32(8 * i, true))) ipcFail("date64 value beyond ±(2^53 - 1) ms");
  }
}

/** Every non-null dictionary index lies in 0..dictLength-1. */
function checkIndices(b: Uint8Array, n: number, enc: NonNullable<FieldShape["dictionary"]>, dictLength: number, valid: Uint8Array | undefined): void {
  const dv = view(b);
  const read: (i: number) => number = (() => {
    switch (enc.indexBits) {
      case 8:
        return enc.indexSigned ? (i) => dv.getInt8(i) : (i) => dv.getUint8(i);
      case 16:
        return enc.indexSigned ? (i) => dv.getInt16(2 * i, true) : (i) => dv.getUint16(2 * i, true);
      case 32:
        return enc.indexSigned ? (i) => dv.getInt32(4 * i, true) : (i) => dv.getUint32(4 * i, true);
      default:
        return enc.indexSigned
          ? (i) => dv.getInt32(8 * i + 4, true) * 2 ** 32 + dv.getUint32(8 * i, true)
          : (i) => dv.getUint32(8 * i + 4, true) * 2 ** 32 + dv.getUint32(8 * i, true);
    }
  })();
  for (let i = 0; i < n; i++) {
    if (valid && !bit(valid, i)) continue;
    const v = read(i);
    if (v < 0 || v >= dictLength) ipcFail("dictionary index out of range");
  }
}

function need(b: Uint8Array, bytes: number): Uint8Array {
  if (b.length < bytes) ipcFail("buffer shorter than its column needs");
  return b;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const bit = (b: Uint8Array, i: number) => (b[i >> 3]! >> (i & 7)) & 1;

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, v) => {
  let c = 0;
  for (let x = v; x; x >>= 1) c += x & 1;
  return c;
});

/** Set bits among the first `n` bits (LSB first, as Arrow bitmaps are). */
function countSetBits(b: Uint8Array, n: number): number {
  const whole = n >> 3;
  let c = 0;
  for (let i = 0; i < whole; i++) c += POPCOUNT[b[i]!]!;
  const rest = n & 7;
  if (rest) c += POPCOUNT[b[whole]! & ((1 << rest) - 1)]!;
  return c;
}
