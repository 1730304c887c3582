import { NatsBridgeError } from "../errors.js";
import { consoleLogger, makeTrace, type LogSink, type Trace } from "../log.js";
import type { ResponseLike, Runtime } from "../runtime.js";
import type { Logger } from "../types.js";
import { downloadError, TRANSFER_FAILED, type DownloadFailure } from "./download-error.js";
import { countOption, DEFAULT_MAX_PAYLOAD_BYTES } from "./limits.js";
import { makeOriginPolicy, type AllowedOrigins } from "./origin-policy.js";
import { BodyRefused, bodyStream, readBody } from "./read-body.js";
import { resolveRetry, retryDelay, type Retry, type RetryOptions } from "./retry.js";
import { DEFAULT_DOWNLOAD_TIMEOUTS, RequestGuard, resolveTimeouts, sleep, type Expiry, type ResolvedTimeouts, type Timeouts } from "./timeouts.js";

/** What a download handler is told besides the seeds' positional arguments. */
export interface DownloadOptions {
  /** Abort the download (smartreceive aborts the siblings of a failed download with it). */
  signal?: AbortSignal;
  /** The envelope's `size`: the body must be exactly this long; reading stops at the first byte too many. */
  expected_size?: number | null;
  /** Never read more than this many bytes (default 256 MiB); checked before the request when `expected_size` is larger. */
  max_bytes?: number;
  timeouts?: Timeouts;
  /** Wins over the positional max_retries / base_delay / max_delay. */
  retry?: RetryOptions;
  /** When given, a URL whose origin is not allowed is refused before any request (see origin-policy.ts). */
  allowed_origins?: AllowedOrigins;
  correlation_id?: string;
  /** Trace lines ("Attempt N failed", "Successfully fetched"): true, or a logger of your own. */
  log?: boolean | Logger;
  /** smartreceive's trace, passed on so the lines carry its correlation id and sink. */
  trace?: Trace;
  /** natsbridge 0.1's only limit, kept: the longest one attempt may take, milliseconds. */
  timeout_ms?: number;
  /** At the start of each attempt's body: a callback for every chunk it reads (a fresh one per attempt). */
  onBody?: () => (chunk: Uint8Array) => void;
  /**
   * Resolve with the body as a stream once the headers say 200, instead of reading it whole. The
   * stream keeps the size/cap checks and the idle limit; `total_ms` ends at the headers.
   */
  as_stream?: boolean;
}

/** The name natsbridge 0.1 exported for these options. */
export type FetchWithBackoffOptions = DownloadOptions;

/** The seeds' positional call still works; the options object may also come second. */
export interface FetchWithBackoff {
  (url: string, options?: DownloadOptions): Promise<Uint8Array>;
  (url: string, max_retries?: number, base_delay?: number, max_delay?: number, correlation_id?: string, options?: DownloadOptions): Promise<Uint8Array>;
  /** With `as_stream: true` the body comes back as a stream. */
  (url: string, max_retries: number, base_delay: number, max_delay: number, correlation_id: string, options: DownloadOptions & { as_stream: true }): Promise<ReadableStream<Uint8Array>>;
}

export interface FetchWithBackoffDefaults extends DownloadOptions {
  /** NATSBRIDGE_LOG, as the bridge reads it. */
  logFlag?: () => string | undefined;
  /** The bridge\'s sink for `log: true` (default: console.log). */
  logSink?: LogSink;
}

interface Settings {
  url: string;
  signal?: AbortSignal;
  expected_size: number | null;
  max_bytes: number;
  timeouts: ResolvedTimeouts;
  retry: Retry;
  attempt_ms: number;
  correlation_id: string;
  trace: Trace;
  allowed: AllowedOrigins | undefined;
  onBody: DownloadOptions["onBody"];
  as_stream: boolean;
}

/** One failed attempt: why, and whether another try could help. */
interface Failure {
  reason: DownloadFailure;
  retry: boolean;
  /** For the trace only; never part of the thrown message. */
  why: string;
  status?: number;
  timeout?: Expiry | "attempt";
  cause?: unknown;
}

/** `timeout_ms`, natsbridge 0.1's per-attempt limit: none unless given. */
function attemptLimit(v: unknown): number {
  if (v === undefined) return Infinity;
  if (typeof v !== "number" || !(v > 0)) throw new NatsBridgeError("INVALID_OPTIONS", "timeout_ms must be a positive number of milliseconds");
  return v;
}

function settingsOf(runtime: Runtime, defaults: FetchWithBackoffDefaults, url: string, args: unknown[]): Settings {
  // fetchWithBackoff(url, options) or the seeds' fetchWithBackoff(url, max_retries, base_delay, max_delay, correlation_id, options).
  const optionsFirst = typeof args[0] === "object" && args[0] !== null;
  const o: DownloadOptions = { ...defaults, ...((optionsFirst ? args[0] : args[4]) as DownloadOptions | undefined) };
  const [max_retries, base_delay, max_delay, cid] = optionsFirst ? [] : (args as [number?, number?, number?, string?]);
  const correlation_id = o.correlation_id ?? cid ?? "";
  const max_bytes = countOption(o.max_bytes, "max_bytes", DEFAULT_MAX_PAYLOAD_BYTES);
  const expected_size = o.expected_size ?? null;
  if (expected_size !== null) countOption(expected_size, "expected_size", 0);
  return {
    url,
    signal: o.signal,
    expected_size,
    max_bytes,
    timeouts: resolveTimeouts(DEFAULT_DOWNLOAD_TIMEOUTS, defaults.timeouts, o.timeouts),
    retry: resolveRetry(o.retry, { max_retries, base_delay, max_delay }),
    attempt_ms: attemptLimit(o.timeout_ms),
    correlation_id,
    trace: o.trace ?? makeTrace(o.log, defaults.logFlag ?? (() => runtime.env("NATSBRIDGE_LOG")), defaults.logSink ?? { logger: consoleLogger }),
    allowed: o.allowed_origins,
    onBody: o.onBody,
    as_stream: o.as_stream === true,
  };
}

/** Refusals that need no request: not http(s), an origin not allowed, a size above the cap. */
function refuseEarly(s: Settings): void {
  const init = { correlation_id: s.correlation_id, details: { url: s.url } };
  let parsed: URL | null = null;
  try {
    parsed = new URL(s.url);
  } catch {
    /* handled below */
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new NatsBridgeError("INVALID_ENVELOPE", "refusing to download a non-http(s) URL", init);
  }
  if (s.allowed !== undefined && !makeOriginPolicy([], s.allowed)(parsed)) {
    throw downloadError("origin_not_allowed", `link origin ${parsed.origin} is not allowed (allowed_origins)`, init);
  }
  if (s.expected_size !== null && s.expected_size > s.max_bytes) {
    throw downloadError("too_large", `link payload of ${s.expected_size} bytes is above the ${s.max_bytes}-byte cap`, init);
  }
}

/**
 * The seeds' download handler: up to `retry.limit` attempts, waiting base_delay, 2×, 4× … capped
 * at max_delay between them, within the `total_ms` budget. Each attempt has a headers and an idle
 * limit; the body is read as a stream and refused the moment it is longer than allowed.
 */
export function makeFetchWithBackoff(runtime: Runtime, defaults: FetchWithBackoffDefaults = {}): FetchWithBackoff {
  return async function fetchWithBackoff(url: string, ...args: unknown[]): Promise<Uint8Array | ReadableStream<Uint8Array>> {
    const s = settingsOf(runtime, defaults, url, args);
    refuseEarly(s);
    const deadline_at = Date.now() + s.timeouts.total_ms;
    let last: Failure = { reason: "aborted", retry: false, why: "aborted before the first attempt" };
    let made = 0;
    for (let attempt = 1; attempt <= s.retry.limit && !s.signal?.aborted; attempt++) {
      made = attempt;
      const got = await attemptOnce(runtime, s, deadline_at);
      if (got instanceof Uint8Array || got instanceof ReadableStream) {
        s.trace(s.correlation_id, () => `Successfully fetched data from ${url} on attempt ${attempt}`);
        return got;
      }
      last = got;
      s.trace(s.correlation_id, () => `Attempt ${attempt} failed: ${got.why}`);
      if (!got.retry || attempt === s.retry.limit) break;
      const wait = retryDelay(s.retry, attempt);
      // Retrying stops at the total budget: a wait that ends past it would only lead to a cut-off attempt.
      if (Date.now() + wait >= deadline_at) {
        last = { ...got, reason: "timeout", timeout: "total", why: `no time left for attempt ${attempt + 1}` };
        break;
      }
      await sleep(wait, s.signal);
    }
    if (s.signal?.aborted && last.reason !== "aborted") last = { reason: "aborted", retry: false, why: "aborted" };
    throw downloadError(last.reason, TRANSFER_FAILED, {
      correlation_id: s.correlation_id,
      cause: last.cause,
      details: {
        url,
        attempts: made,
        ...(last.status !== undefined && { status: last.status }),
        ...(last.timeout !== undefined && { timeout: last.timeout }),
      },
    });
  } as FetchWithBackoff;
}

async function attemptOnce(runtime: Runtime, s: Settings, deadline_at: number): Promise<Uint8Array | ReadableStream<Uint8Array> | Failure> {
  const attempt_end = Math.min(deadline_at, Date.now() + s.attempt_ms);
  const guard = new RequestGuard(s.signal, attempt_end);
  guard.stage("headers", s.timeouts.headers_ms);
  let handedOver = false;
  try {
    // Redirects are not followed: real Plik answers a used-up one-shot link with a 301 to its
    // web UI, whose HTML page would otherwise arrive as the payload.
    const res: ResponseLike = await runtime.fetch(s.url, { signal: guard.signal, redirect: "manual" });
    guard.stage("idle", s.timeouts.idle_ms);
    if (res.status !== 200) {
      // Cancelled, not drained: an error page can be endless too.
      (res.body as { cancel?: () => Promise<void> } | undefined)?.cancel?.()?.catch?.(() => undefined);
      return { reason: "http_status", retry: s.retry.retryable(res.status), why: `HTTP ${res.status}`, status: res.status };
    }
    const limits = {
      expected_size: s.expected_size,
      max_bytes: s.max_bytes,
      onChunk: () => guard.stage("idle", s.timeouts.idle_ms),
      onData: s.onBody?.(),
    };
    if (s.as_stream) {
      const body = bodyStream(res, limits, () => guard.dispose());
      guard.untilIdle();
      handedOver = true;
      return body;
    }
    return await readBody(res, limits);
  } catch (e) {
    if (e instanceof BodyRefused) return { reason: e.reason, retry: false, why: e.message };
    const expired = guard.expired;
    if (expired === "aborted") return { reason: "aborted", retry: false, why: "aborted" };
    if (expired === "total") {
      // The attempt's own limit (timeout_ms) leaves room for another; the overall budget does not.
      const overall = attempt_end >= deadline_at;
      return { reason: "timeout", retry: !overall, timeout: overall ? "total" : "attempt", why: overall ? "total time limit reached" : `attempt timed out after ${s.attempt_ms} ms` };
    }
    if (expired) return { reason: "timeout", retry: true, timeout: expired, why: `timed out waiting for ${expired === "headers" ? "response headers" : "the next body chunk"}` };
    return { reason: "network", retry: true, why: (e as Error)?.message ?? String(e), cause: e };
  } finally {
    if (!handedOver) guard.dispose();
  }
}
