import { NatsBridgeError } from "../errors.js";

/**
 * A bounds-checked reader of one FlatBuffer (an Arrow IPC message's metadata or a file footer).
 * Every offset, vtable and vector it follows is checked to stay inside the buffer before it is
 * read, so hostile metadata is refused instead of being read past its end (the FlatBuffers
 * verifier rules: https://flatbuffers.dev/internals/ — "Tables", "Vectors").
 */
export class FlatBuffer {
  private readonly dv: DataView;
  readonly length: number;
  /**
   * Tables and vectors a reader may still visit. Each one a valid buffer holds is distinct and
   * starts with 4 bytes of its own (soffset or length), so a walk needs at most length/4 visits;
   * more means tables or vectors shared to multiply the work (a DAG), which is refused.
   */
  private visits: number;

  constructor(bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
    this.visits = Math.floor(bytes.byteLength / 4);
  }

  /** The root table: a uoffset at byte 0. */
  root(): FbTable {
    return this.table(this.at(0, 4) + this.dv.getUint32(0, true));
  }

  /** A table at `pos`: its soffset leads back to a vtable whose declared sizes fit the buffer. */
  table(pos: number): FbTable {
    this.visit();
    this.at(pos, 4);
    const vt = pos - this.dv.getInt32(pos, true);
    this.at(vt, 4);
    const vtLen = this.dv.getUint16(vt, true);
    const size = this.dv.getUint16(vt + 2, true);
    if (vtLen < 4 || vtLen % 2 !== 0 || vt + vtLen > this.length) ipcFail("flatbuffer vtable out of bounds");
    if (size < 4 || pos + size > this.length) ipcFail("flatbuffer table out of bounds");
    return { pos, vt, vtLen, size };
  }

  /** Absolute position of field `id` holding `width` bytes inside its table, or -1 when absent. */
  slot(t: FbTable, id: number, width: number): number {
    const entry = 4 + 2 * id;
    if (entry + 2 > t.vtLen) return -1;
    const o = this.dv.getUint16(t.vt + entry, true);
    if (o === 0) return -1;
    if (o + width > t.size) ipcFail("flatbuffer field out of its table");
    return t.pos + o;
  }

  u8(t: FbTable, id: number, dflt: number): number {
    const p = this.slot(t, id, 1);
    return p < 0 ? dflt : this.dv.getUint8(p);
  }
  i16(t: FbTable, id: number, dflt: number): number {
    const p = this.slot(t, id, 2);
    return p < 0 ? dflt : this.dv.getInt16(p, true);
  }
  i32(t: FbTable, id: number, dflt: number): number {
    const p = this.slot(t, id, 4);
    return p < 0 ? dflt : this.dv.getInt32(p, true);
  }
  i64(t: FbTable, id: number, dflt: number): number {
    const p = this.slot(t, id, 8);
    return p < 0 ? dflt : this.int64At(p);
  }

  /** A signed 64-bit integer as a Number: exact up to 2^53, beyond that only its magnitude matters to the checks. */
  int64At(pos: number): number {
    this.at(pos, 8);
    return this.dv.getInt32(pos + 4, true) * 2 ** 32 + this.dv.getUint32(pos, true);
  }
  int32At(pos: number): number {
    this.at(pos, 4);
    return this.dv.getInt32(pos, true);
  }

  /** Target of the uoffset in field `id`, or -1 when the field is absent. */
  private ref(t: FbTable, id: number): number {
    const p = this.slot(t, id, 4);
    if (p < 0) return -1;
    const target = p + this.dv.getUint32(p, true);
    if (target >= this.length) ipcFail("flatbuffer offset out of bounds");
    return target;
  }

  /** Sub-table in field `id`. */
  sub(t: FbTable, id: number): FbTable | undefined {
    const p = this.ref(t, id);
    return p < 0 ? undefined : this.table(p);
  }

  /** Vector in field `id` of `n` elements of `width` bytes starting at `at`, all inside the buffer. */
  vector(t: FbTable, id: number, width: number): FbVector | undefined {
    const p = this.ref(t, id);
    if (p < 0) return undefined;
    this.visit();
    const n = this.dv.getUint32(this.at(p, 4), true);
    if (p + 4 + n * width > this.length) ipcFail("flatbuffer vector longer than its buffer");
    return { at: p + 4, n };
  }

  /** Element `i` of a vector of tables. */
  tableAt(v: FbVector, i: number): FbTable {
    const p = v.at + 4 * i;
    return this.table(p + this.dv.getUint32(p, true));
  }

  /** A string field (length-prefixed bytes plus a NUL) lies inside the buffer. */
  checkString(t: FbTable, id: number): void {
    const v = this.vector(t, id, 1);
    if (v && v.at + v.n >= this.length) ipcFail("flatbuffer string out of bounds");
  }

  private visit(): void {
    if (--this.visits < 0) ipcFail("flatbuffer tables are shared to multiply the work");
  }

  private at(pos: number, width: number): number {
    if (pos < 0 || pos + width > this.length) ipcFail("flatbuffer read out of bounds");
    return pos;
  }
}

export interface FbTable {
  pos: number;
  vt: number;
  vtLen: number;
  size: number;
}

export interface FbVector {
  at: number;
  n: number;
}

export function ipcFail(why: string): never {
  throw new NatsBridgeError("DESERIALIZATION_ERROR", `arrowtable payload is not valid Arrow IPC: ${why}`);
}
