import type { NatsConnectionLike } from "./runtime.js";
import type { Transport } from "./types.js";

/** nats-server's default max_payload; used when no connection tells us better. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
export const DEFAULT_SIZE_THRESHOLD = 1_000_000;

export function maxPayloadOf(conn: NatsConnectionLike | null | undefined): number {
  const m = conn?.info?.max_payload;
  return typeof m === "number" && m > 0 ? m : DEFAULT_MAX_PAYLOAD;
}

/** The seeds' rule: serialized size strictly below the threshold travels direct. */
export const byThreshold = (size: number, size_threshold: number): Transport => (size < size_threshold ? "direct" : "link");

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
 * Choose each payload's transport. `envelopeBytes(plan)` measures the envelope for a plan; the
 * result is the first plan, moving largest-first from direct to link, whose envelope fits.
 * A measure that needs no upload may answer synchronously, and then so does this: a small send
 * should not pay for promise hops it does not need.
 */
export function selectTransports(
  sizes: readonly number[],
  size_threshold: number,
  max_payload: number,
  envelopeBytes: (plan: readonly Transport[]) => number | Promise<number>,
): Selection | Promise<Selection> {
  const plan = sizes.map((s) => byThreshold(s, size_threshold));
  const step = (bytes: number): Selection | Promise<Selection> => {
    for (;;) {
      if (bytes <= max_payload) return { plan, fits: true };
      const i = largestDirect(sizes, plan);
      if (i < 0) return { plan, fits: false };
      plan[i] = "link";
      const next = envelopeBytes(plan);
      if (typeof next !== "number") return next.then(step);
      bytes = next;
    }
  };
  const first = envelopeBytes(plan);
  return typeof first === "number" ? step(first) : first.then(step);
}

export interface Selection {
  plan: Transport[];
  fits: boolean;
}
