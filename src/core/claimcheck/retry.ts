import { NatsBridgeError } from "../errors.js";

/** How a download is retried (issue 7: retry as options, not constants). */
export interface RetryOptions {
  /** Attempts in all, like the seeds' `max_retries` (5 = at most 5 requests). Default 5. */
  limit?: number;
  /** HTTP statuses worth another try, as a list or a predicate. Default 404, 408, 425, 429 and every 5xx. */
  statuses?: readonly number[] | ((status: number) => boolean);
  /** Milliseconds before the second attempt; doubled after each further failure. Default 100. */
  base_delay?: number;
  /** Cap on one wait, milliseconds. Default 5000. */
  max_delay?: number;
  /**
   * 0…1: each wait is shortened by a random part of up to this fraction, so receivers that failed
   * together do not retry in step. Default 0 (the seeds' fixed delays).
   */
  jitter?: number;
}

export interface Retry {
  limit: number;
  retryable(status: number): boolean;
  base_delay: number;
  max_delay: number;
  jitter: number;
}

/** The seeds' positional knobs, still honoured when `retry` does not set them. */
export interface PositionalRetry {
  max_retries?: number;
  base_delay?: number;
  max_delay?: number;
}

/** The seeds' rule: the file may not be there yet (404, 425), or the server is busy (408, 429, 5xx). */
export const defaultRetryableStatus = (status: number): boolean =>
  status === 404 || status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);

export const DEFAULT_RETRY = { limit: 5, base_delay: 100, max_delay: 5000, jitter: 0 } as const;

function nonNegative(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a non-negative number`);
  return v;
}

function statusRule(statuses: RetryOptions["statuses"]): (status: number) => boolean {
  if (statuses === undefined) return defaultRetryableStatus;
  if (typeof statuses === "function") return (s) => statuses(s) === true;
  if (Array.isArray(statuses) && statuses.every((s) => Number.isInteger(s))) {
    const set = new Set(statuses);
    return (s) => set.has(s);
  }
  throw new NatsBridgeError("INVALID_OPTIONS", "retry.statuses must be a list of HTTP status numbers or a predicate");
}

/** `retry` fields win over the positional ones, which win over the defaults. */
export function resolveRetry(retry: RetryOptions | undefined, positional: PositionalRetry = {}): Retry {
  if (retry !== undefined && (typeof retry !== "object" || retry === null)) throw new NatsBridgeError("INVALID_OPTIONS", "retry must be an object");
  const r = retry ?? {};
  const limit = nonNegative(r.limit, "retry.limit") ?? nonNegative(positional.max_retries, "max_retries") ?? DEFAULT_RETRY.limit;
  const jitter = nonNegative(r.jitter, "retry.jitter") ?? DEFAULT_RETRY.jitter;
  if (jitter > 1) throw new NatsBridgeError("INVALID_OPTIONS", "retry.jitter must be between 0 and 1");
  return {
    // The seeds loop `for attempt in 1:max_retries`; 0 still makes the one request.
    limit: Math.max(1, Math.floor(limit)),
    retryable: statusRule(r.statuses),
    base_delay: nonNegative(r.base_delay, "retry.base_delay") ?? nonNegative(positional.base_delay, "base_delay") ?? DEFAULT_RETRY.base_delay,
    max_delay: nonNegative(r.max_delay, "retry.max_delay") ?? nonNegative(positional.max_delay, "max_delay") ?? DEFAULT_RETRY.max_delay,
    jitter,
  };
}

/** The wait after failed attempt `n` (1-based): base_delay, 2×, 4× … capped at max_delay, less jitter. */
export function retryDelay(r: Retry, n: number, random: () => number = Math.random): number {
  const capped = Math.min(r.base_delay * 2 ** (n - 1), r.max_delay);
  return r.jitter === 0 ? capped : capped * (1 - r.jitter * random());
}
