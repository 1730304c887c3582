/**
 * Retrying JetStream API requests that fail only for now. Right after a stream or meta leader is
 * lost, requests time out or find no responder for the few seconds an election takes (issue 10);
 * those are worth another try within a budget, anything else is the answer.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** nats.js error codes (NatsError.code) that say "not now" rather than "no". */
const TRANSIENT_CODES = new Set(["TIMEOUT", "503", "408", "DISCONNECT"]);

export function isTransient(e: unknown): boolean {
  const code = String((e as { code?: unknown })?.code ?? "");
  if (TRANSIENT_CODES.has(code)) return true;
  // The server's own words during an election (JSClusterNotAvail, "temporarily unavailable", …).
  return /temporarily unavailable|no responders|not available|timeout|leader/i.test(String((e as Error)?.message ?? ""));
}

export interface RetryBudget {
  /** Attempts in all (at least 1). */
  attempts: number;
  /** First pause in ms, doubled after each failure up to max_delay. */
  base_delay: number;
  max_delay: number;
}

/** `fn` again after a transient failure, sleeping base_delay, 2×, 4× … capped at max_delay; the last error is thrown. */
export async function retryTransient<T>(fn: () => Promise<T>, budget: RetryBudget): Promise<T> {
  const attempts = Math.max(1, Math.floor(budget.attempts));
  let delay = budget.base_delay;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isTransient(e)) throw e;
      await sleep(delay);
      delay = Math.min(delay * 2, budget.max_delay);
    }
  }
}
