import { ipcFail, type FbTable, type FlatBuffer } from "./arrow-flatbuffer.js";

/**
 * An Arrow schema reduced to what a record batch must hold for each field: the buffers of its
 * physical layout (Arrow columnar format, "Buffer Listing for Each Layout") and its children.
 * Field and type ids are those of format/Schema.fbs.
 */
export type Layout =
  | { kind: "null" } // no buffers
  | { kind: "fixed"; bits: number; safeInt64?: true } // validity, values of `bits` each (Bool: 1)
  | { kind: "binary"; offsetBytes: 4 | 8 } // validity, offsets, data
  | { kind: "view" } // validity, 16-byte views, variadic data buffers
  | { kind: "list"; offsetBytes: 4 | 8 } // validity, offsets; one child (List, LargeList, Map)
  | { kind: "fixedList"; size: number } // validity; one child of length × size
  | { kind: "struct" } // validity; children as long as the struct
  | { kind: "union"; dense: boolean; typeIds: number[] }; // type ids (+ offsets when dense); children

export interface FieldShape {
  layout: Layout;
  children: FieldShape[];
  /** Set when the field is dictionary-encoded: the batch holds indices, the values come in DictionaryBatch `id`. */
  dictionary?: { id: number; indexBits: number; indexSigned: boolean };
}

export interface SchemaShape {
  fields: FieldShape[];
  /** Value shape per dictionary id, for checking DictionaryBatch messages. */
  dictionaries: Map<number, FieldShape>;
}

/** Nesting deeper than this is refused (Arrow C++ refuses metadata nested beyond 64 levels too). */
export const MAX_NESTING = 64;

// Schema.fbs: Type union member ids.
const T = {
  NONE: 0, Null: 1, Int: 2, FloatingPoint: 3, Binary: 4, Utf8: 5, Bool: 6, Decimal: 7, Date: 8, Time: 9,
  Timestamp: 10, Interval: 11, List: 12, Struct: 13, Union: 14, FixedSizeBinary: 15, FixedSizeList: 16,
  Map: 17, Duration: 18, LargeBinary: 19, LargeUtf8: 20, LargeList: 21, RunEndEncoded: 22,
  BinaryView: 23, Utf8View: 24, ListView: 25, LargeListView: 26,
} as const;

/** Reads Schema { endianness: 0, fields: 1, custom_metadata: 2, features: 3 }. */
export function readSchema(fb: FlatBuffer, schema: FbTable): SchemaShape {
  if (fb.i16(schema, 0, 0) !== 0) ipcFail("big-endian Arrow data is not accepted");
  checkKeyValues(fb, schema, 2);
  const out: SchemaShape = { fields: [], dictionaries: new Map() };
  // Fields shared between parents (a DAG) run out of the FlatBuffer's visit budget.
  const fields = fb.vector(schema, 1, 4);
  for (let i = 0; i < (fields?.n ?? 0); i++) out.fields.push(readField(fb, fb.tableAt(fields!, i), 1, out.dictionaries));
  return out;
}

/** Field { name: 0, nullable: 1, type_type: 2, type: 3, dictionary: 4, children: 5, custom_metadata: 6 }. */
function readField(fb: FlatBuffer, f: FbTable, depth: number, dicts: Map<number, FieldShape>): FieldShape {
  if (depth > MAX_NESTING) ipcFail(`fields nested deeper than ${MAX_NESTING} levels`);
  fb.checkString(f, 0);
  checkKeyValues(fb, f, 6);
  const childVec = fb.vector(f, 5, 4);
  const children: FieldShape[] = [];
  for (let i = 0; i < (childVec?.n ?? 0); i++) children.push(readField(fb, fb.tableAt(childVec!, i), depth + 1, dicts));
  const layout = readLayout(fb, fb.u8(f, 2, T.NONE), fb.sub(f, 3), children);
  const shape: FieldShape = { layout, children };
  const enc = fb.sub(f, 4);
  if (enc) {
    shape.dictionary = readDictionaryEncoding(fb, enc);
    if (dicts.has(shape.dictionary.id)) ipcFail(`dictionary id ${shape.dictionary.id} used by two fields`);
    dicts.set(shape.dictionary.id, { layout, children });
  }
  return shape;
}

/** DictionaryEncoding { id: 0, indexType: 1 (Int, default signed 32-bit), isOrdered: 2, dictionaryKind: 3 }. */
function readDictionaryEncoding(fb: FlatBuffer, enc: FbTable): NonNullable<FieldShape["dictionary"]> {
  const id = fb.i64(enc, 0, 0);
  if (!Number.isSafeInteger(id)) ipcFail("dictionary id out of range");
  if (fb.i16(enc, 3, 0) !== 0) ipcFail("only dense-array dictionaries are accepted");
  const index = fb.sub(enc, 1);
  const indexBits = index ? fb.i32(index, 0, 0) : 32;
  if (![8, 16, 32, 64].includes(indexBits)) ipcFail(`dictionary index width ${indexBits} bits`);
  return { id, indexBits, indexSigned: index ? fb.u8(index, 1, 0) !== 0 : true };
}

function readLayout(fb: FlatBuffer, typeId: number, t: FbTable | undefined, children: FieldShape[]): Layout {
  const need = (): FbTable => t ?? ipcFail(`type ${typeId} without its parameters`);
  const childCount = (n: number) => {
    if (children.length !== n) ipcFail(`type ${typeId} needs ${n} child field(s), has ${children.length}`);
  };
  switch (typeId) {
    case T.NONE: // apache-arrow reads NONE as Null
    case T.Null:
      return { kind: "null" };
    case T.Bool:
      return { kind: "fixed", bits: 1 };
    case T.Int: // Int { bitWidth: 0, is_signed: 1 }
      return { kind: "fixed", bits: oneOf(fb.i32(need(), 0, 0), [8, 16, 32, 64], "integer width") };
    case T.FloatingPoint: // FloatingPoint { precision: 0 } HALF, SINGLE, DOUBLE
      return { kind: "fixed", bits: [16, 32, 64][oneOf(fb.i16(need(), 0, 0), [0, 1, 2], "float precision")]! };
    case T.Decimal: // Decimal { precision: 0, scale: 1, bitWidth: 2 = 128 }
      return { kind: "fixed", bits: oneOf(fb.i32(need(), 2, 128), [32, 64, 128, 256], "decimal width") };
    case T.Date: // Date { unit: 0 = MILLISECOND } DAY: int32, MILLISECOND: int64
      // apache-arrow reads date64 cells as Numbers and throws a TypeError beyond ±(2^53 - 1)
      return oneOf(fb.i16(need(), 0, 1), [0, 1], "date unit") === 0 ? { kind: "fixed", bits: 32 } : { kind: "fixed", bits: 64, safeInt64: true };
    case T.Time: // Time { unit: 0, bitWidth: 1 = 32 }
      oneOf(fb.i16(need(), 0, 1), [0, 1, 2, 3], "time unit");
      return { kind: "fixed", bits: oneOf(fb.i32(need(), 1, 32), [32, 64], "time width") };
    case T.Timestamp: // Timestamp { unit: 0, timezone: 1 }
      oneOf(fb.i16(need(), 0, 0), [0, 1, 2, 3], "timestamp unit");
      fb.checkString(need(), 1);
      return { kind: "fixed", bits: 64 };
    case T.Duration: // Duration { unit: 0 }
      oneOf(fb.i16(need(), 0, 1), [0, 1, 2, 3], "duration unit");
      return { kind: "fixed", bits: 64 };
    case T.Interval: // Interval { unit: 0 } YEAR_MONTH: 4 bytes, DAY_TIME: 8, MONTH_DAY_NANO: 16
      return { kind: "fixed", bits: [32, 64, 128][oneOf(fb.i16(need(), 0, 0), [0, 1, 2], "interval unit")]! };
    case T.FixedSizeBinary: {
      const width = fb.i32(need(), 0, 0); // FixedSizeBinary { byteWidth: 0 }
      if (width < 0) ipcFail("negative fixed-size-binary width");
      return { kind: "fixed", bits: width * 8 };
    }
    case T.Binary:
    case T.Utf8:
      return { kind: "binary", offsetBytes: 4 };
    case T.LargeBinary:
    case T.LargeUtf8:
      return { kind: "binary", offsetBytes: 8 };
    case T.BinaryView:
    case T.Utf8View:
      return { kind: "view" };
    case T.List:
      childCount(1);
      return { kind: "list", offsetBytes: 4 };
    case T.LargeList:
      childCount(1);
      return { kind: "list", offsetBytes: 8 };
    case T.Map: // a list of struct<key, value>
      need();
      childCount(1);
      if (children[0]!.layout.kind !== "struct" || children[0]!.children.length !== 2) ipcFail("map entries must be a struct of two fields");
      return { kind: "list", offsetBytes: 4 };
    case T.FixedSizeList: {
      childCount(1);
      const size = fb.i32(need(), 0, 0); // FixedSizeList { listSize: 0 }
      if (size < 0) ipcFail("negative fixed-size-list size");
      return { kind: "fixedList", size };
    }
    case T.Struct:
      return { kind: "struct" };
    case T.Union:
      return readUnion(fb, need(), children.length);
    case T.RunEndEncoded:
    case T.ListView:
    case T.LargeListView:
      return ipcFail(`Arrow type ${typeId} (run-end encoded / list view) is not accepted`);
    default:
      return ipcFail(`unknown Arrow type ${typeId}`);
  }
}

/** Union { mode: 0 (Sparse, Dense), typeIds: 1 }. */
function readUnion(fb: FlatBuffer, t: FbTable, childCount: number): Layout {
  const mode = oneOf(fb.i16(t, 0, 0), [0, 1], "union mode");
  // Without typeIds the spec means child positions, but apache-arrow maps no type id at all and
  // then fails on every cell: refused (pyarrow and apache-arrow always write them).
  const ids = fb.vector(t, 1, 4) ?? ipcFail("union without type ids");
  if (ids.n !== childCount) ipcFail("union type ids do not match its children");
  const typeIds: number[] = [];
  for (let i = 0; i < ids.n; i++) typeIds.push(oneOfRange(fb.int32At(ids.at + 4 * i), 0, 127, "union type id"));
  if (new Set(typeIds).size !== typeIds.length) ipcFail("union type ids repeat");
  return { kind: "union", dense: mode === 1, typeIds };
}

/** KeyValue { key: 0, value: 1 } vector in field `id`: every string inside the buffer. */
export function checkKeyValues(fb: FlatBuffer, t: FbTable, id: number): void {
  const kv = fb.vector(t, id, 4);
  for (let i = 0; i < (kv?.n ?? 0); i++) {
    const e = fb.tableAt(kv!, i);
    fb.checkString(e, 0);
    fb.checkString(e, 1);
  }
}

function oneOf(v: number, allowed: number[], what: string): number {
  if (!allowed.includes(v)) ipcFail(`${what} ${v} is not valid`);
  return v;
}

function oneOfRange(v: number, lo: number, hi: number, what: string): number {
  if (v < lo || v > hi) ipcFail(`${what} ${v} is not valid`);
  return v;
}
