import type { Data, DataType, Field, Table, Vector } from "apache-arrow";
import { NatsBridgeError } from "../errors.js";

type Arrow = typeof import("apache-arrow");

/**
 * A Table made by another copy of apache-arrow (another version in the tree, a bundle holding two
 * copies) has types that fail our copy's `instanceof` checks: its writer then silently drops the
 * dictionary batches and writes a footer no reader accepts (issue 12). Such a table is rebuilt with our
 * copy's classes over the same buffers (no data copied): every type from its `typeId` and
 * parameters, every Data node from its buffers, children and dictionary.
 */
export function adoptForeignTable(arrow: Arrow, foreign: Table): Table {
  try {
    const fields = foreign.schema.fields.map((f) => adoptField(arrow, f));
    const schema = new arrow.Schema(fields, new Map(foreign.schema.metadata));
    const struct = new arrow.Struct(fields);
    const batches = foreign.batches.map((b) => new arrow.RecordBatch(schema, adoptData(arrow, b.data, struct) as Data<any>));
    return new arrow.Table(schema, batches);
  } catch (e) {
    if (e instanceof NatsBridgeError) throw e;
    throw unsupported(`${(e as Error)?.message ?? e}`, e);
  }
}

function adoptField(arrow: Arrow, f: Field): Field {
  return new arrow.Field(f.name, adoptType(arrow, f.type), f.nullable, new Map(f.metadata));
}

/** Our copy's type for a foreign one; the parameters are those of apache-arrow's type constructors. */
function adoptType(arrow: Arrow, t: any): DataType {
  const T = arrow.Type;
  const kids = () => (t.children as Field[]).map((c) => adoptField(arrow, c));
  switch (t.typeId) {
    case T.Null: return new arrow.Null();
    case T.Bool: return new arrow.Bool();
    case T.Int: return new arrow.Int(t.isSigned, t.bitWidth);
    case T.Float: return new arrow.Float(t.precision);
    case T.Decimal: return new arrow.Decimal(t.scale, t.precision, t.bitWidth);
    case T.Date: return new arrow.Date_(t.unit);
    case T.Time: return new arrow.Time(t.unit, t.bitWidth);
    case T.Timestamp: return new arrow.Timestamp(t.unit, t.timezone);
    case T.Interval: return new arrow.Interval(t.unit);
    case T.Duration: return new arrow.Duration(t.unit);
    case T.Binary: return new arrow.Binary();
    case T.LargeBinary: return new arrow.LargeBinary();
    case T.BinaryView: return new arrow.BinaryView();
    case T.Utf8: return new arrow.Utf8();
    case T.LargeUtf8: return new arrow.LargeUtf8();
    case T.Utf8View: return new arrow.Utf8View();
    case T.FixedSizeBinary: return new arrow.FixedSizeBinary(t.byteWidth);
    case T.List: return new arrow.List(kids()[0]!);
    case T.LargeList: return new arrow.LargeList(kids()[0]!);
    case T.FixedSizeList: return new arrow.FixedSizeList(t.listSize, kids()[0]!);
    case T.Map: return new arrow.Map_(kids()[0]! as Field<any>, t.keysSorted);
    case T.Struct: return new arrow.Struct(kids());
    case T.Union: return new arrow.Union(t.mode, Array.from(t.typeIds as ArrayLike<number>), kids());
    case T.Dictionary: return new arrow.Dictionary(adoptType(arrow, t.dictionary), adoptType(arrow, t.indices) as any, t.id, t.isOrdered);
    default: throw unsupported(`its type ${String(t)} (typeId ${t?.typeId}) is unknown to natsbridge's apache-arrow`);
  }
}

/** Same buffers, offsets and null count; children and dictionary adopted recursively. */
function adoptData(arrow: Arrow, d: any, type: DataType): Data {
  const childTypes = (type.children ?? []) as Field[];
  const children = (d.children as any[]).map((c, i) => adoptData(arrow, c, childTypes[i]?.type ?? adoptType(arrow, c.type)));
  const dictionary = d.dictionary ? adoptVector(arrow, d.dictionary, (type as any).dictionary) : undefined;
  return new arrow.Data(type, d.offset, d.length, d.nullCount, [d.valueOffsets, d.values, d.nullBitmap, d.typeIds], children, dictionary, d.variadicBuffers ?? []);
}

function adoptVector(arrow: Arrow, v: any, type: DataType): Vector {
  return new arrow.Vector((v.data as any[]).map((d) => adoptData(arrow, d, type)));
}

function unsupported(why: string, cause?: unknown): NatsBridgeError {
  return new NatsBridgeError(
    "SERIALIZATION_ERROR",
    `arrowtable: this Table comes from another copy of apache-arrow than natsbridge's and cannot be converted (${why}); install one apache-arrow version so both share it, or send row objects`,
    cause === undefined ? {} : { cause },
  );
}
