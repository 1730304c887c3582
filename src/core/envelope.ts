import * as z from "zod/mini";
import { NatsBridgeError } from "./errors.js";
import type { WireEnvelope, WirePayload } from "./types.js";

/**
 * Receive-side schema: what real peers send (docs/wire-format.md). Optional strings may be
 * missing or null (Python None, Julia nothing) and read as ""; a present value of the wrong
 * JSON type is rejected rather than coerced. Written with zod/mini: the classic zod API cannot be
 * tree-shaken and was two thirds of a browser app's bundle.
 */
const optStr = z.pipe(z.nullish(z.string()), z.transform((v: string | null | undefined) => v ?? ""));
const optRecord = z.pipe(
  z.nullish(z.record(z.string(), z.unknown())),
  z.transform((v: Record<string, unknown> | null | undefined) => v ?? {}),
);

// ISO 8601 date-time at any precision the peers write, with or without a zone.
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

export const WirePayloadSchema = z.object({
  id: optStr,
  dataname: z.string(),
  payload_type: z.optional(z.string()),
  /** The older README's name for payload_type. */
  type: z.optional(z.string()),
  transport: z.string(),
  encoding: z.nullish(z.string()),
  size: z.nullish(z.number().check(z.int(), z.nonnegative())),
  data: z.string(),
  metadata: optRecord,
});

export const WireEnvelopeSchema = z.object({
  correlation_id: z.string(),
  msg_id: z.string(),
  timestamp: z.string().check(z.regex(ISO_DATETIME, "not an ISO 8601 date-time")),
  send_to: z.string(),
  msg_purpose: optStr,
  sender_name: optStr,
  sender_id: optStr,
  receiver_name: optStr,
  receiver_id: optStr,
  reply_to: optStr,
  reply_to_msg_id: optStr,
  broker_url: optStr,
  metadata: optRecord,
  payloads: z.array(WirePayloadSchema),
});

export type ParsedPayload = z.infer<typeof WirePayloadSchema>;
export type ParsedEnvelope = z.infer<typeof WireEnvelopeSchema>;

const HEADER_STRINGS = [
  "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
  "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url",
] as const;
const PAYLOAD_STRINGS = ["id", "dataname", "payload_type", "transport", "encoding", "data"] as const;

const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The envelope exactly as natsbridge and the seed peers write it — every field present with its
 * JSON type, no nulls, no older field names — checked by hand, because a schema walk is a large
 * share of receiving a small message. Anything else returns null and goes through the schema,
 * which stays the definition: this accepts a strict subset of what it accepts and returns the
 * same result (test/core/envelope-fast-path.test.ts holds the two side by side).
 */
export function parseCanonicalEnvelope(v: unknown): ParsedEnvelope | null {
  if (!isRecord(v)) return null;
  for (const k of HEADER_STRINGS) if (typeof v[k] !== "string") return null;
  if (!ISO_DATETIME.test(v.timestamp) || !isRecord(v.metadata) || !Array.isArray(v.payloads)) return null;
  const payloads: ParsedPayload[] = [];
  for (const p of v.payloads) {
    if (!isRecord(p) || p.type !== undefined || !isRecord(p.metadata) || !Number.isSafeInteger(p.size) || p.size < 0) return null;
    for (const k of PAYLOAD_STRINGS) if (typeof p[k] !== "string") return null;
    payloads.push({
      id: p.id, dataname: p.dataname, payload_type: p.payload_type, transport: p.transport,
      encoding: p.encoding, size: p.size, data: p.data, metadata: p.metadata,
    });
  }
  return {
    correlation_id: v.correlation_id, msg_id: v.msg_id, timestamp: v.timestamp, send_to: v.send_to,
    msg_purpose: v.msg_purpose, sender_name: v.sender_name, sender_id: v.sender_id,
    receiver_name: v.receiver_name, receiver_id: v.receiver_id, reply_to: v.reply_to,
    reply_to_msg_id: v.reply_to_msg_id, broker_url: v.broker_url, metadata: v.metadata, payloads,
  };
}

/** Validate a decoded JSON value as an envelope; every failure is INVALID_ENVELOPE naming the field. */
export function parseEnvelope(value: unknown): ParsedEnvelope {
  const canonical = parseCanonicalEnvelope(value);
  if (canonical) return canonical;
  const correlation_id =
    typeof value === "object" && value !== null && typeof (value as any).correlation_id === "string" ? (value as any).correlation_id : undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NatsBridgeError("INVALID_ENVELOPE", "envelope must be a JSON object");
  }
  const r = WireEnvelopeSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join(".") : "envelope";
    throw new NatsBridgeError("INVALID_ENVELOPE", `invalid envelope field ${where}: ${issue.message}`, {
      correlation_id,
      details: { issues: r.error.issues },
    });
  }
  return r.data;
}

/** Older peers call the Arrow type "table"; it is the same bytes, so it is read as arrowtable. */
export function payloadTypeOf(p: ParsedPayload): string | undefined {
  const t = p.payload_type ?? p.type;
  return t === "table" ? "arrowtable" : t;
}

/** Everything but the payloads, as smartsend assembles it. */
export type EnvelopeHeader = Omit<WireEnvelope, "payloads">;

/** The wire object in the seeds' field order, so every peer sees the same JSON layout. */
export function buildEnvelope(h: EnvelopeHeader, payloads: WirePayload[]): WireEnvelope {
  return {
    correlation_id: h.correlation_id,
    msg_id: h.msg_id,
    timestamp: h.timestamp,
    send_to: h.send_to,
    msg_purpose: h.msg_purpose,
    sender_name: h.sender_name,
    sender_id: h.sender_id,
    receiver_name: h.receiver_name,
    receiver_id: h.receiver_id,
    reply_to: h.reply_to,
    reply_to_msg_id: h.reply_to_msg_id,
    broker_url: h.broker_url,
    metadata: h.metadata,
    payloads,
  };
}

export function directPayload(id: string, dataname: string, payload_type: string, size: number, base64: string): WirePayload {
  return { id, dataname, payload_type, transport: "direct", encoding: "base64", size, data: base64, metadata: { payload_bytes: size } };
}

export function linkPayload(id: string, dataname: string, payload_type: string, size: number, url: string): WirePayload {
  return { id, dataname, payload_type, transport: "link", encoding: "none", size, data: url, metadata: {} };
}
