/**
 * Reading conformance/vectors/*.json from TypeScript: marker conversion ($hex, $base64, $bigint,
 * $arrow) and a structural comparison that knows natsbridge's receive types (Uint8Array, bigint,
 * apache-arrow Table). Format: conformance/README.md.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataType, type Table } from "apache-arrow";

export const conformanceDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const vectorsDir = join(conformanceDir, "vectors");
export const FORMAT = "natsbridge-conformance/1";

export interface VectorBase {
  id: string;
  kind: "encode" | "encode_envelope" | "encode_reject" | "decode" | "reject";
  description: string;
  style?: string;
}
export interface EncodeVector extends VectorBase {
  kind: "encode";
  senders: string[];
  input: { dataname: string; payload_type: string; data: unknown };
  payload_id: string;
  serialized: { $hex?: string; $base64?: string; arrow_format?: "file" | "stream" };
  payload: Record<string, unknown> | null;
  payload_json: string | null;
  decoded: unknown;
}
export interface EncodeEnvelopeVector extends VectorBase {
  kind: "encode_envelope";
  senders: string[];
  subject: string;
  options: Record<string, unknown>;
  payloads: { dataname: string; payload_type: string; data: unknown; payload_id: string }[];
  timestamp_pattern: string;
  envelope: Record<string, unknown> & { timestamp: string; payloads: Record<string, unknown>[] };
  envelope_json: string;
}
export interface Message {
  text?: string;
  hex?: string;
  base64?: string;
}
export interface DecodeVector extends VectorBase {
  kind: "decode";
  message: Message;
  downloads?: Record<string, unknown>;
  expected: Record<string, unknown> & { payloads: [string, unknown, string][] };
}
export interface RejectVector extends VectorBase {
  kind: "reject";
  message: Message;
  downloads?: Record<string, unknown>;
  error: string;
}
export interface EncodeRejectVector extends VectorBase {
  kind: "encode_reject";
  senders: string[];
  input: { dataname: string; payload_type: string; data: unknown };
  error: string;
}
export type Vector = EncodeVector | EncodeEnvelopeVector | EncodeRejectVector | DecodeVector | RejectVector;
export interface VectorFile {
  file: string;
  format: string;
  name: string;
  description: string;
  vectors: Vector[];
}

export function loadVectorFiles(dir = vectorsDir): VectorFile[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), "utf8")) as Omit<VectorFile, "file">) }));
}

/** Expected Arrow table: schema as pyarrow type strings, rows with cells in the column's unit. */
export class ArrowExpect {
  constructor(
    readonly format: "file" | "stream",
    readonly schema: { name: string; type: string; nullable: boolean }[],
    readonly num_rows: number,
    readonly rows: Record<string, unknown>[],
    readonly ipc: Uint8Array | undefined,
  ) {}
}

export const hexToBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
export const b64ToBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

export function messageBytes(m: Message): Uint8Array {
  if (m.text !== undefined) return new TextEncoder().encode(m.text);
  if (m.hex !== undefined) return hexToBytes(m.hex);
  if (m.base64 !== undefined) return b64ToBytes(m.base64);
  throw new Error("message needs text, hex or base64");
}

export function fromMarked(v: unknown): any {
  if (Array.isArray(v)) return v.map(fromMarked);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const k = keys[0]!;
      if (k === "$hex") return hexToBytes(o.$hex as string);
      if (k === "$base64") return b64ToBytes(o.$base64 as string);
      if (k === "$bigint") return BigInt(o.$bigint as string);
      if (k === "$float") return Number(o.$float as string);
      if (k === "$utf16") return String.fromCharCode(...(o.$utf16 as number[]));
      if (k === "$arrow") {
        const a = o.$arrow as any;
        return new ArrowExpect(a.format, a.schema, a.num_rows, fromMarked(a.rows), a.ipc ? fromMarked(a.ipc) : undefined);
      }
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromMarked(o[k]);
    return out;
  }
  return v;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** TS value -> vector-style marked JSON (for sending values to the Python/MicroPython side). */
export function toMarked(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $base64: Buffer.from(v).toString("base64") };
  if (typeof v === "bigint") return v >= -SAFE && v <= SAFE ? Number(v) : { $bigint: v.toString() };
  if (Array.isArray(v)) return v.map(toMarked);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toMarked(x);
    return out;
  }
  return v;
}

/** pyarrow's spelling of an apache-arrow type (the vectors were written with pyarrow). */
export function arrowTypeName(t: DataType): string {
  const a = t as any;
  if (DataType.isInt(t)) return `${a.isSigned ? "int" : "uint"}${a.bitWidth}`;
  if (DataType.isFloat(t)) return ["halffloat", "float", "double"][a.precision] ?? `float?${a.precision}`;
  if (DataType.isUtf8(t)) return "string";
  if (DataType.isLargeUtf8(t)) return "large_string";
  if (DataType.isBool(t)) return "bool";
  if (DataType.isNull(t)) return "null";
  if (DataType.isTimestamp(t)) {
    const unit = ["s", "ms", "us", "ns"][a.unit];
    return a.timezone ? `timestamp[${unit}, tz=${a.timezone}]` : `timestamp[${unit}]`;
  }
  if (DataType.isDate(t)) return a.unit === 0 ? "date32[day]" : "date64[ms]";
  return String(t);
}

/** Milliseconds per unit of a pyarrow time type string, for cells apache-arrow returns as ms. */
function msPerUnit(type: string): number | null {
  if (type === "date32[day]") return 86_400_000;
  const m = /^timestamp\[(s|ms|us|ns)/.exec(type);
  if (!m) return null;
  return { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 }[m[1] as "s"];
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && "schema" in v && typeof (v as Table).getChild === "function";
}

function diffArrow(actual: unknown, e: ArrowExpect, path: string, opts: DiffOptions): string | null {
  if (!isTable(actual)) return `${path}: expected an apache-arrow Table, got ${describe(actual)}`;
  const fields = actual.schema.fields;
  const got = fields.map((f) => `${f.name}:${arrowTypeName(f.type)}${opts.arrowNullable ? (f.nullable ? "?" : "!") : ""}`).join(", ");
  const want = e.schema.map((f) => `${f.name}:${f.type}${opts.arrowNullable ? (f.nullable ? "?" : "!") : ""}`).join(", ");
  if (got !== want) return `${path}: schema [${got}] != expected [${want}]`;
  if (actual.numRows !== e.num_rows) return `${path}: ${actual.numRows} rows, expected ${e.num_rows}`;
  for (const f of e.schema) {
    const col = actual.getChild(f.name)!;
    const unit = msPerUnit(f.type);
    for (let i = 0; i < e.num_rows; i++) {
      const want = e.rows[i]![f.name];
      const have = col.get(i);
      const where = `${path}.rows[${i}].${f.name}`;
      if (unit !== null && want !== null) {
        // apache-arrow hands out dates and timestamps as (possibly fractional) milliseconds.
        const wantMs = Number(want) * unit;
        if (typeof have !== "number" || Math.abs(have - wantMs) > 1e-3) return `${where}: ${String(have)} ms, expected ${wantMs} ms`;
        continue;
      }
      if (typeof have === "bigint" && typeof want === "number") {
        if (have !== BigInt(want)) return `${where}: ${have}, expected ${want}`;
        continue;
      }
      const d = diff(have, want, where, opts);
      if (d) return d;
    }
  }
  return null;
}

export interface DiffOptions {
  /** Compare Arrow field nullability too (decode vectors: what the peer wrote). */
  arrowNullable?: boolean;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return `${typeof v} ${JSON.stringify(typeof v === "bigint" ? v.toString() : v)}`;
}

/** null when `actual` matches `expected` (already through fromMarked), else the first difference. */
export function diff(actual: unknown, expected: unknown, path = "value", opts: DiffOptions = {}): string | null {
  if (expected instanceof ArrowExpect) return diffArrow(actual, expected, path, opts);
  if (expected instanceof Uint8Array) {
    if (!(actual instanceof Uint8Array)) return `${path}: expected Uint8Array(${expected.length}), got ${describe(actual)}`;
    if (Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), Buffer.from(expected)) !== 0)
      return `${path}: bytes differ (${actual.length} vs ${expected.length})`;
    return null;
  }
  if (typeof expected === "bigint") {
    if (typeof actual !== "bigint") return `${path}: expected bigint ${expected}, got ${describe(actual)}`;
    return actual === expected ? null : `${path}: ${actual} != ${expected}`;
  }
  if (typeof expected === "number") {
    if (typeof actual !== "number") return `${path}: expected number ${expected}, got ${describe(actual)}`;
    return actual === expected || (Number.isNaN(actual) && Number.isNaN(expected)) ? null : `${path}: ${actual} != ${expected}`;
  }
  if (expected === null || typeof expected !== "object") {
    return actual === expected ? null : `${path}: expected ${describe(expected)}, got ${describe(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected array, got ${describe(actual)}`;
    if (actual.length !== expected.length) return `${path}: ${actual.length} items, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(actual[i], expected[i], `${path}[${i}]`, opts);
      if (d) return d;
    }
    return null;
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual) || actual instanceof Uint8Array)
    return `${path}: expected object, got ${describe(actual)}`;
  const ka = Object.keys(actual).sort();
  const ke = Object.keys(expected).sort();
  if (ka.join("\u0000") !== ke.join("\u0000")) return `${path}: keys [${ka}] != expected [${ke}]`;
  for (const k of ke) {
    const d = diff((actual as any)[k], (expected as any)[k], `${path}.${k}`, opts);
    if (d) return d;
  }
  return null;
}

export const HEADER_FIELDS = [
  "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
  "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url", "metadata",
] as const;

/** Compare a received envelope (payloads as tuples) with a vector's `expected`. */
export function diffEnvelope(env: any, expected: any, opts: DiffOptions = {}): string | null {
  for (const k of HEADER_FIELDS) {
    const d = diff(env?.[k], fromMarked(expected[k]), k, opts);
    if (d) return d;
  }
  const exp = expected.payloads as [string, unknown, string][];
  const got = env?.payloads as [string, unknown, string][];
  if (!Array.isArray(got) || got.length !== exp.length) return `payloads: got ${got?.length}, expected ${exp.length}`;
  for (let i = 0; i < exp.length; i++) {
    const [name, value, type] = exp[i]!;
    if (got[i]![0] !== name) return `payloads[${i}] dataname ${JSON.stringify(got[i]![0])} != ${JSON.stringify(name)}`;
    if (got[i]![2] !== type) return `payloads[${i}] type ${JSON.stringify(got[i]![2])} != ${JSON.stringify(type)}`;
    const d = diff(got[i]![1], fromMarked(value), `payloads[${i}].data`, opts);
    if (d) return d;
  }
  return null;
}

/** The envelope every runner wraps an encode vector's payload JSON in for its decode check. */
export const wrapPayloadJson = (payloadJson: string): string =>
  `{"correlation_id":"c","msg_id":"m","timestamp":"2026-03-13T07:02:50.443Z","send_to":"/conformance","payloads":[${payloadJson}]}`;

/** A download handler answering from a vector's `downloads` map. */
export function downloadStub(downloads: Record<string, unknown> | undefined) {
  return async (url: string): Promise<Uint8Array> => {
    const b = downloads?.[url];
    if (b === undefined) throw new Error(`no such URL in the vector: ${url}`);
    return fromMarked(b) as Uint8Array;
  };
}
