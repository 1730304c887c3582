import * as z from "zod/mini";
import { NatsBridgeError } from "./errors.js";

/**
 * The envelope (msg_envelope_v1 / msg_payload_v1): the one place its fields are listed.
 * Everything else is derived from these two tables: the TypeScript types below, the zod schema that
 * judges what peers send, the hand-written check for the canonical form, and the wire writer's
 * field order (src/core/wire.ts). Adding a field is one line here plus its tests.
 *
 * A header field is a string. "required": a receiver refuses an envelope without it; "timestamp":
 * required and ISO 8601; "optional": may be missing or null (Python None, Julia nothing) and reads
 * as "". Key order here is the order on the wire (docs/wire-format.md).
 */
export const HEADER_FIELDS = {
  correlation_id: "required",
  msg_id: "required",
  timestamp: "timestamp",
  send_to: "required",
  msg_purpose: "optional",
  sender_name: "optional",
  sender_id: "optional",
  receiver_name: "optional",
  receiver_id: "optional",
  reply_to: "optional",
  reply_to_msg_id: "optional",
  broker_url: "optional",
} as const;

/**
 * Payload fields in wire order, with what a receiver accepts: "string" required; "optional-string"
 * may be missing or null (reads as ""); "nullable-string" may be missing or null (kept so);
 * "size" a non-negative integer or missing/null; "record" an object or missing/null (reads as {}).
 * payload_type may instead arrive as the older README's `type` (see payloadTypeOf).
 */
export const PAYLOAD_FIELDS = {
  id: "optional-string",
  dataname: "string",
  payload_type: "payload-type",
  transport: "string",
  encoding: "nullable-string",
  size: "size",
  data: "string",
  metadata: "record",
} as const;

export type HeaderField = keyof typeof HEADER_FIELDS;
export const HEADER_FIELD_NAMES = Object.keys(HEADER_FIELDS) as HeaderField[];
export const PAYLOAD_FIELD_NAMES = Object.keys(PAYLOAD_FIELDS) as (keyof typeof PAYLOAD_FIELDS)[];

export type Transport = "direct" | "link";

/** msg_payload_v1 as natsbridge sends it. */
export type WirePayload = {
  id: string;
  dataname: string;
  payload_type: string;
  transport: Transport;
  encoding: "base64" | "none";
  size: number;
  data: string;
  metadata: Record<string, unknown>;
};

/** Everything but the payloads. A type alias (not an interface), so it is assignable to Record<string, unknown>. */
export type EnvelopeHeader = { [K in HeaderField]: string } & { metadata: Record<string, unknown> };

/** msg_envelope_v1 as natsbridge sends it: the header fields, metadata, payloads, in that order. */
export type WireEnvelope = EnvelopeHeader & { payloads: WirePayload[] };

/** A payload as received: what the schema accepts, normalized (missing optional strings read as ""). */
export type ParsedPayload = {
  id: string;
  dataname: string;
  payload_type?: string | undefined;
  /** The older README's name for payload_type. */
  type?: string | undefined;
  transport: string;
  encoding?: string | null | undefined;
  size?: number | null | undefined;
  data: string;
  metadata: Record<string, unknown>;
};

/** An envelope as received. Fields natsbridge does not know (a peer's extras, e.g. an error object) are kept. */
export type ParsedEnvelope = EnvelopeHeader & { payloads: ParsedPayload[]; [extra: string]: unknown };

// ---- the schema, derived from the tables -----------------------------------------------------

// ISO 8601 date-time at any precision the peers write, with or without a zone.
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

const optStr = z.nullish(z.string());
const record = z.nullish(z.record(z.string(), z.unknown()));

const headerSchema = {
  required: z.string(),
  timestamp: z.string().check(z.regex(ISO_DATETIME, "not an ISO 8601 date-time")),
  optional: optStr,
} as const;
const payloadSchema = {
  "string": z.string(),
  "optional-string": optStr,
  "payload-type": z.optional(z.string()),
  "nullable-string": optStr,
  size: z.nullish(z.number().check(z.int(), z.nonnegative())),
  record,
} as const;

const shape = <T extends Record<string, string>>(fields: T, kinds: Record<string, z.core.$ZodType>) =>
  Object.fromEntries(Object.entries(fields).map(([k, kind]) => [k, kinds[kind]!]));

/**
 * What real peers send (docs/wire-format.md). The schema only judges: its output is not used, so
 * the result is built from the input itself by `normalize` and keeps every key as an own property
 * (a zod record assigns keys, and a `__proto__` key would become a prototype).
 */
export const WirePayloadSchema = z.looseObject({ ...shape(PAYLOAD_FIELDS, payloadSchema), type: z.optional(z.string()) });
export const WireEnvelopeSchema = z.looseObject({
  ...shape(HEADER_FIELDS, headerSchema),
  metadata: record,
  payloads: z.array(WirePayloadSchema),
});

const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The canonical form — every field present with its JSON type, no nulls, no older field names — as
 * natsbridge and the seed peers write it. Checked by hand because a schema walk is a large share of
 * receiving a small message; it accepts a strict subset of what the schema accepts
 * (test/core/envelope-fast-path.test.ts holds the two side by side).
 */
export function isCanonicalEnvelope(v: unknown): v is ParsedEnvelope {
  if (!isRecord(v)) return false;
  for (const k of HEADER_FIELD_NAMES) if (typeof v[k] !== "string") return false;
  if (!ISO_DATETIME.test(v.timestamp) || !isRecord(v.metadata) || !Array.isArray(v.payloads)) return false;
  for (const p of v.payloads) {
    if (!isRecord(p) || p.type !== undefined || !isRecord(p.metadata) || !Number.isSafeInteger(p.size) || p.size < 0) return false;
    if (typeof p.id !== "string" || typeof p.dataname !== "string" || typeof p.payload_type !== "string") return false;
    if (typeof p.transport !== "string" || typeof p.encoding !== "string" || typeof p.data !== "string") return false;
  }
  return true;
}

/** Missing or null optional fields read as "" (strings) and {} (records), as the seeds read them. */
function normalize(v: Record<string, any>): ParsedEnvelope {
  const env: Record<string, any> = { ...v };
  for (const k of HEADER_FIELD_NAMES) env[k] ??= "";
  env.metadata ??= {};
  env.payloads = (v.payloads as Record<string, any>[]).map((p) => {
    const out: Record<string, any> = { ...p };
    out.id ??= "";
    out.metadata ??= {};
    return out;
  });
  return env as ParsedEnvelope;
}

/**
 * Validate a decoded JSON value as an envelope; every failure is INVALID_ENVELOPE naming the field.
 * The result is a fresh object (the caller may set its payloads) unless `owned` says `value` is the
 * caller's own fresh parse result, which is then checked and returned as it is.
 */
export function parseEnvelope(value: unknown, owned = false): ParsedEnvelope {
  if (isCanonicalEnvelope(value)) return owned ? value : normalize(value);
  return parseEnvelopeBySchema(value);
}

/** The schema path alone: the definition the canonical check is held to. */
export function parseEnvelopeBySchema(value: unknown): ParsedEnvelope {
  if (!isRecord(value)) throw new NatsBridgeError("INVALID_ENVELOPE", "envelope must be a JSON object");
  const correlation_id = typeof value.correlation_id === "string" ? value.correlation_id : undefined;
  const r = WireEnvelopeSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "envelope";
    throw new NatsBridgeError("INVALID_ENVELOPE", `invalid envelope field ${where}: ${issue.message}`, {
      correlation_id,
      details: { issues: r.error.issues },
    });
  }
  return normalize(value);
}

/** Older peers call the Arrow type "table"; it is the same bytes, so it is read as arrowtable. */
export function payloadTypeOf(p: ParsedPayload): string | undefined {
  const t = p.payload_type ?? p.type;
  return t === "table" ? "arrowtable" : t;
}

/** The wire object in the table's field order, so every peer sees the same JSON layout. */
export function buildEnvelope(h: EnvelopeHeader, payloads: WirePayload[]): WireEnvelope {
  const env: Record<string, unknown> = {};
  for (const k of HEADER_FIELD_NAMES) env[k] = h[k];
  env.metadata = h.metadata;
  env.payloads = payloads;
  return env as WireEnvelope;
}

export function directPayload(id: string, dataname: string, payload_type: string, size: number, base64: string): WirePayload {
  return { id, dataname, payload_type, transport: "direct", encoding: "base64", size, data: base64, metadata: { payload_bytes: size } };
}

export function linkPayload(id: string, dataname: string, payload_type: string, size: number, url: string, metadata: Record<string, unknown> = {}): WirePayload {
  return { id, dataname, payload_type, transport: "link", encoding: "none", size, data: url, metadata };
}
