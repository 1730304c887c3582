import { NatsBridgeError } from "./errors.js";
import type { NatsConnectionLike } from "./runtime.js";
import type { Transport } from "./envelope.js";

/** nats-server's default max_payload; used when no connection tells us better. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
export const DEFAULT_SIZE_THRESHOLD = 1_000_000;

export function maxPayloadOf(conn: NatsConnectionLike | null | undefined): number {
  const m = conn?.info?.max_payload;
  return typeof m === "number" && m > 0 ? m : DEFAULT_MAX_PAYLOAD;
}

/** What a transport policy is told about each payload: its serialized size, not its bytes. */
export interface PayloadSizeInfo {
  dataname: string;
  payload_type: string;
  /** Serialized bytes (before base64); null for a stream of unknown length, which goes by link whatever the policy says. */
  size: number | null;
}

export interface PolicyContext {
  size_threshold: number;
  /** The connected server's max_payload (or nats-server's default without a connection). */
  max_payload: number;
}

/**
 * Chooses direct or link for each payload. Whatever it answers, the envelope is then fitted to
 * max_payload (largest direct payloads moved to link), so no policy can publish what the server
 * refuses; a policy can only ask for more links than needed, never fewer.
 */
export type TransportPolicy = (payloads: readonly PayloadSizeInfo[], ctx: PolicyContext) => readonly Transport[];

/** The seeds' rule: serialized size strictly below the threshold travels direct. */
export const byThreshold = (size: number, size_threshold: number): Transport => (size < size_threshold ? "direct" : "link");

/** The default policy: the seeds' threshold rule per payload. */
export const thresholdPolicy: TransportPolicy = (payloads, ctx) => payloads.map((p) => (p.size === null ? "link" : byThreshold(p.size, ctx.size_threshold)));

/** Stage 2: the policy's answer, checked (a policy is user code: a wrong answer is an option error). */
export function planTransports(
  policy: TransportPolicy,
  items: readonly { dataname: string; payload_type: string; size: number | null }[],
  ctx: PolicyContext,
): Transport[] {
  const infos = items.map((it) => ({ dataname: it.dataname, payload_type: it.payload_type, size: it.size }));
  const plan = policy(infos, ctx);
  if (!Array.isArray(plan) || plan.length !== items.length || !plan.every((t) => t === "direct" || t === "link")) {
    throw new NatsBridgeError("INVALID_OPTIONS", `the transport policy must return one "direct" or "link" per payload, got ${JSON.stringify(plan)}`);
  }
  // Unknown length cannot be measured into an envelope; a known length above max_payload cannot fit it.
  return plan.map((t, i) => (items[i]!.size === null || items[i]!.size! > ctx.max_payload ? "link" : t));
}

/**
 * The payload to move to link when the envelope does not fit the server's max_payload: the largest
 * direct one, since it frees the most room with a single upload. -1 when none is left.
 */
export function largestDirect(sizes: readonly number[], plan: readonly Transport[]): number {
  let best = -1;
  for (let i = 0; i < sizes.length; i++) if (plan[i] === "direct" && (best < 0 || sizes[i]! > sizes[best]!)) best = i;
  return best;
}

/**
 * Stage 3: the first plan, moving largest-first from direct to link, whose envelope (as
 * `envelopeBytes` measures it) fits max_payload; null when even all-link does not. The last plan
 * measured is the one returned.
 */
export function fitToMaxPayload(
  sizes: readonly number[],
  plan: readonly Transport[],
  max_payload: number,
  envelopeBytes: (plan: readonly Transport[]) => number,
): Transport[] | null {
  const p = [...plan];
  for (let bytes = envelopeBytes(p); bytes > max_payload; bytes = envelopeBytes(p)) {
    const i = largestDirect(sizes, p);
    if (i < 0) return null;
    p[i] = "link";
  }
  return p;
}
