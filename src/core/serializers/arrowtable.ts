import type { DataType, Table } from "apache-arrow";
import { NatsBridgeError } from "../errors.js";
import type { ArrowIpcSummary } from "./arrow-ipc-check.js";
import type { Serializer } from "./registry.js";

type Arrow = typeof import("apache-arrow");
interface ArrowTools {
  arrow: Arrow;
  checkArrowIpc: typeof import("./arrow-ipc-check.js").checkArrowIpc;
  adoptForeignTable: typeof import("./arrow-adopt.js").adoptForeignTable;
}
let arrowTools: Promise<ArrowTools> | undefined;

/**
 * apache-arrow is large, and the IPC check and Table adoption are only needed with it: all are
 * loaded the first time an arrowtable payload is seen, not at import (a separate chunk in bundles).
 */
function loadArrow(): Promise<ArrowTools> {
  arrowTools ??= Promise.all([import("apache-arrow"), import("./arrow-ipc-check.js"), import("./arrow-adopt.js")]).then(
    ([arrow, check, adopt]) => ({ arrow, checkArrowIpc: check.checkArrowIpc, adoptForeignTable: adopt.adoptForeignTable }),
    (e) => {
      arrowTools = undefined;
      throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable needs the apache-arrow package", { cause: e });
    },
  );
  return arrowTools;
}

/** Duck-typed, so a Table from another copy of apache-arrow is recognised too (then adopted). */
const isTable = (v: unknown): v is Table =>
  typeof v === "object" && v !== null && "schema" in v && "batches" in v && typeof (v as Table).getChild === "function";

/**
 * Built by our copy of apache-arrow: a real prototype chain (apache-arrow ≥ 21 makes `instanceof
 * Table` true for any copy's Table, via Symbol.hasInstance) and column types of our DataType
 * class (which has no such override), the ones our writer recognises.
 */
const isOwnTable = (arrow: Arrow, t: Table): boolean =>
  Object.prototype.isPrototypeOf.call(arrow.Table.prototype, t) && t.schema.fields.every((f) => isOwnType(arrow, f.type));

/** The type, its children's and its dictionary value type are all our DataType's. */
function isOwnType(arrow: Arrow, t: DataType): boolean {
  if (!(t instanceof arrow.DataType)) return false;
  const values = (t as { dictionary?: DataType }).dictionary;
  return (t.children ?? []).every((c) => isOwnType(arrow, c.type)) && (values === undefined || isOwnType(arrow, values));
}

/**
 * Sent in the IPC *file* format: the seeds' Python reader uses pyarrow.ipc.open_file, which cannot
 * read a stream, while Julia's Arrow.Table and apache-arrow read both (docs/wire-format.md).
 */
export const arrowtable: Serializer<unknown, Table> = {
  async serialize(data) {
    const { arrow, adoptForeignTable, checkArrowIpc } = await loadArrow();
    let table: Table;
    if (isTable(data)) table = isOwnTable(arrow, data) ? data : adoptForeignTable(arrow, data);
    else if (Array.isArray(data)) table = rowsToTable(arrow, data);
    else throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable data must be an apache-arrow Table or an array of row objects");
    let bytes: Uint8Array;
    try {
      bytes = arrow.tableToIPC(table, "file");
    } catch (e) {
      throw new NatsBridgeError("SERIALIZATION_ERROR", `cannot write Arrow IPC: ${(e as Error).message}`, { cause: e });
    }
    checkWritten(checkArrowIpc, bytes, table);
    return bytes;
  },
  async deserialize(bytes) {
    const { arrow, checkArrowIpc } = await loadArrow();
    if (!looksLikeArrowIpc(bytes)) throw new NatsBridgeError("DESERIALIZATION_ERROR", "arrowtable payload is not Arrow IPC (file or stream format)");
    // apache-arrow trusts every length it reads (a flipped byte can make it spin for minutes):
    // the structure is checked first, bounded by the payload size.
    checkArrowIpc(bytes);
    try {
      return arrow.tableFromIPC(bytes);
    } catch (e) {
      throw new NatsBridgeError("DESERIALIZATION_ERROR", `cannot read Arrow IPC: ${(e as Error).message}`, { cause: e });
    }
  },
};

/** What we publish passes the same check as what we receive: bytes no reader can read are never sent. */
function checkWritten(checkArrowIpc: ArrowTools["checkArrowIpc"], bytes: Uint8Array, table: Table): void {
  let written: ArrowIpcSummary;
  try {
    written = checkArrowIpc(bytes);
  } catch (e) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `apache-arrow wrote invalid Arrow IPC for this Table: ${(e as Error).message}`, { cause: e });
  }
  if (written.rows !== table.numRows || written.columns !== table.numCols) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `apache-arrow wrote ${written.rows}x${written.columns} for a ${table.numRows}x${table.numCols} Table`);
  }
}

function looksLikeArrowIpc(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  // File format: "ARROW1" magic; stream format: 0xFFFFFFFF continuation marker, or a bare
  // little-endian metadata length from writers older than Arrow 0.15.
  if (b[0] === 0x41 && b[1] === 0x52 && b[2] === 0x52 && b[3] === 0x4f && b[4] === 0x57 && b[5] === 0x31) return true;
  if (b[0] === 0xff && b[1] === 0xff && b[2] === 0xff && b[3] === 0xff) return true;
  const len = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
  return len > 0 && len <= b.length - 4;
}

/** Column types chosen so Python (pandas) and Julia read natural types: ints stay ints, strings plain Utf8. */
function rowsToTable(arrow: Arrow, rows: unknown[]): Table {
  if (rows.length === 0) throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable needs at least one row to infer a schema; send a Table for an empty one");
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    if (typeof r !== "object" || r === null || Array.isArray(r)) throw new NatsBridgeError("SERIALIZATION_ERROR", "arrowtable rows must be plain objects");
    for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
  }
  const columns: Record<string, any> = {};
  for (const name of names) {
    let values = rows.map((r) => (r as Record<string, unknown>)[name] ?? null);
    const type = inferType(arrow, name, values);
    // An int64 column (some cell needed a bigint) takes its small integers as bigint too.
    if (type instanceof arrow.Int64) values = values.map((v) => (typeof v === "number" ? BigInt(v) : v));
    columns[name] = arrow.vectorFromArray(values, type);
  }
  return new arrow.Table(columns);
}

function inferType(arrow: Arrow, name: string, values: unknown[]) {
  const present = values.filter((v) => v !== null);
  const all = (p: (v: unknown) => boolean) => present.every(p);
  if (present.length === 0) return new arrow.Null();
  if (all((v) => typeof v === "boolean")) return new arrow.Bool();
  if (all((v) => typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) && present.some((v) => typeof v === "bigint")) {
    return new arrow.Int64();
  }
  if (all((v) => typeof v === "number" && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) return new arrow.Int32();
  if (all((v) => typeof v === "number")) return new arrow.Float64();
  if (all((v) => typeof v === "string")) return new arrow.Utf8();
  if (all((v) => v instanceof Date)) return new arrow.TimestampMillisecond("UTC");
  throw new NatsBridgeError("SERIALIZATION_ERROR", `arrowtable column ${JSON.stringify(name)} mixes value types; build an apache-arrow Table for it`);
}
