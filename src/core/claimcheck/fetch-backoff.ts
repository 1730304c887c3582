import { asBytes } from "../bytes.js";
import { NatsBridgeError } from "../errors.js";
import type { Trace } from "../log.js";
import type { Runtime } from "../runtime.js";

export interface FetchWithBackoffOptions {
  /** Per-attempt limit: a server that accepts the connection and then stalls must not hang the receiver. */
  timeout_ms?: number;
  trace?: Trace;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** HTTP statuses worth another try: the file may not be there yet, or the server is overloaded. */
const retryable = (status: number) => status === 404 || status === 408 || status === 425 || status === 429 || status >= 500;

/**
 * The seeds' download handler: up to `max_retries` attempts, sleeping base_delay, 2×, 4× … capped
 * at max_delay between them (milliseconds).
 */
export function makeFetchWithBackoff(runtime: Runtime, defaults: FetchWithBackoffOptions = {}) {
  return async function fetchWithBackoff(
    url: string,
    max_retries = 5,
    base_delay = 100,
    max_delay = 5000,
    correlation_id = "",
    opts: FetchWithBackoffOptions = {},
  ): Promise<Uint8Array> {
    const trace = opts.trace ?? defaults.trace ?? (() => {});
    const timeout = opts.timeout_ms ?? defaults.timeout_ms ?? DEFAULT_FETCH_TIMEOUT_MS;
    if (!/^https?:\/\//i.test(url)) {
      throw new NatsBridgeError("INVALID_ENVELOPE", `refusing to download a non-http(s) URL: ${url}`, { correlation_id });
    }
    const attempts = Math.max(1, Math.floor(max_retries));
    let delay = base_delay;
    let last = "";
    let made = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), timeout);
      let permanent = false;
      made = attempt;
      try {
        // Redirects are not followed: real Plik answers a used-up one-shot link with a 301 to its
        // web UI, whose HTML page would otherwise arrive as the payload.
        const res = await runtime.fetch(url, { signal: ctl.signal, redirect: "manual" });
        if (res.status === 200) {
          const body = asBytes(await res.arrayBuffer())!;
          trace(correlation_id, () => `Successfully fetched data from ${url} on attempt ${attempt}`);
          return body;
        }
        await res.arrayBuffer().catch(() => undefined); // release the connection
        last = `HTTP ${res.status}`;
        permanent = !retryable(res.status);
      } catch (e) {
        last = ctl.signal.aborted ? `timed out after ${timeout} ms` : (e as Error)?.message ?? String(e);
      } finally {
        clearTimeout(timer);
      }
      trace(correlation_id, () => `Attempt ${attempt} failed: ${last}`);
      if (permanent) break;
      if (attempt < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, max_delay);
      }
    }
    throw new NatsBridgeError("DOWNLOAD_FAILED", `Failed to fetch ${url} after ${made} attempt(s): ${last}`, {
      correlation_id,
      details: { url, attempts: made, last },
    });
  };
}
