/**
 * smartsend's publish stage through JetStream (issue 10): the server stores the envelope in the
 * stream that covers the subject and answers with a PubAck; the envelope's msg_id travels as the
 * Nats-Msg-Id header, so a resend within the stream's duplicate window is stored once.
 */
import { NatsBridgeError } from "../errors.js";
import type { NatsConnectionLike } from "../runtime.js";
import type { PubAck } from "../types.js";
import { hasJetStream, type JsPublishOptions } from "./api.js";

export const DEFAULT_JETSTREAM_TIMEOUT_MS = 5_000;

/** smartsend's `jetstream` option, checked. */
export interface JetStreamSettings {
  timeout_ms: number;
  expect: JsPublishOptions["expect"];
  retry_ms: number;
}

export interface JetStreamOption {
  /** How long to wait for the PubAck (default 5000 ms). */
  timeout_ms?: number;
  /** The server refuses the message unless these hold (optimistic concurrency). */
  expect?: { stream?: string; last_msg_id?: string; last_sequence?: number; last_subject_sequence?: number };
  /**
   * Resend (same msg_id, so stored once) after no_stream or ack_timeout for up to this many ms —
   * a cluster electing a stream leader answers so for a few seconds. Default 0: fail at once.
   */
  retry_ms?: number;
}

export function readJetStreamOption(v: boolean | JetStreamOption | undefined): JetStreamSettings | null {
  if (v === undefined || v === false) return null;
  if (v === true) return { timeout_ms: DEFAULT_JETSTREAM_TIMEOUT_MS, expect: {}, retry_ms: 0 };
  if (typeof v !== "object" || v === null) throw new NatsBridgeError("INVALID_OPTIONS", "jetstream must be true or { timeout_ms, expect }");
  const t = v.timeout_ms ?? DEFAULT_JETSTREAM_TIMEOUT_MS;
  if (typeof t !== "number" || !(t > 0)) throw new NatsBridgeError("INVALID_OPTIONS", "jetstream.timeout_ms must be a positive number");
  const retry_ms = v.retry_ms ?? 0;
  if (typeof retry_ms !== "number" || !(retry_ms >= 0)) throw new NatsBridgeError("INVALID_OPTIONS", "jetstream.retry_ms must be a non-negative number");
  const e = v.expect ?? {};
  const expect: JsPublishOptions["expect"] = {};
  if (e.stream !== undefined) expect.streamName = String(e.stream);
  if (e.last_msg_id !== undefined) expect.lastMsgID = String(e.last_msg_id);
  if (e.last_sequence !== undefined) expect.lastSequence = Number(e.last_sequence);
  if (e.last_subject_sequence !== undefined) expect.lastSubjectSequence = Number(e.last_subject_sequence);
  return { timeout_ms: t, expect, retry_ms };
}

/** Why a JetStream publish failed, from nats.js's error: "no_stream", "ack_timeout" or "rejected". */
function failure(e: unknown, subject: string, s: JetStreamSettings, correlation_id: string): NatsBridgeError {
  const err = e as { code?: unknown; message?: unknown; api_error?: { code?: number; err_code?: number; description?: string } };
  const code = String(err?.code ?? "");
  const why = String(err?.message ?? e);
  // nats.js reports a request nobody answers as 503: no stream listens on the subject — or, in a
  // cluster, the stream's leader is being elected (seconds); a resend with the same msg_id is safe.
  if (code === "503" || /no responders/i.test(why)) {
    return new NatsBridgeError("NATS_CONNECTION_FAILED", `no JetStream stream answered on subject ${subject} (none covers it, or its leader is being elected)`, { correlation_id, cause: e, details: { reason: "no_stream", subject } });
  }
  if (code === "TIMEOUT" || /timeout/i.test(why)) {
    return new NatsBridgeError("NATS_CONNECTION_FAILED", `no JetStream ack for ${subject} within ${s.timeout_ms} ms; resend with the same msg_id to be safe`, {
      correlation_id,
      cause: e,
      details: { reason: "ack_timeout", subject, timeout_ms: s.timeout_ms },
    });
  }
  const api = err?.api_error;
  return new NatsBridgeError("NATS_CONNECTION_FAILED", `JetStream refused the message on ${subject}: ${why}`, {
    correlation_id,
    cause: e,
    details: { reason: "rejected", subject, ...(api ? { api_error: { code: api.code, err_code: api.err_code, description: api.description } } : {}) },
  });
}

/** Publish through JetStream and return the server's PubAck. */
export async function publishJetStream(conn: NatsConnectionLike, subject: string, wire: Uint8Array, s: JetStreamSettings, msg_id: string, correlation_id: string): Promise<PubAck> {
  if (!hasJetStream(conn)) throw new NatsBridgeError("INVALID_OPTIONS", "jetstream needs a connection with jetstream() (nats or nats.ws)", { correlation_id });
  const deadline = Date.now() + s.retry_ms;
  let ack;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      ack = await conn.jetstream({ timeout: s.timeout_ms }).publish(subject, wire, { msgID: msg_id, timeout: s.timeout_ms, expect: s.expect });
      break;
    } catch (e) {
      const err = failure(e, subject, s, correlation_id);
      // Only "not answered" is worth a resend; the same msg_id makes it safe (stored once).
      const reason = err.details?.reason;
      if ((reason !== "no_stream" && reason !== "ack_timeout") || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const out: PubAck = { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
  if (ack.domain) out.domain = ack.domain;
  return out;
}
