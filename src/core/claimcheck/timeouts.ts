import { NatsBridgeError } from "../errors.js";

/**
 * Time limits for one file-server transfer (issue 8 item 5), in milliseconds; `Infinity` switches
 * one off.
 */
export interface Timeouts {
  /** From sending the request until the response headers arrive (connect and first byte). */
  headers_ms?: number;
  /** Longest pause between two chunks of the response body. */
  idle_ms?: number;
  /** The whole transfer of one payload, every attempt and the waits between them included. */
  total_ms?: number;
}

export type ResolvedTimeouts = Required<Timeouts>;

/**
 * A file server answers in well under a second; 15 s of silence means it is gone or hostile. Two
 * minutes total moves the default 256 MiB cap at about 2.2 MB/s; raise `total_ms` for slower links.
 */
export const DEFAULT_DOWNLOAD_TIMEOUTS: ResolvedTimeouts = Object.freeze({ headers_ms: 15_000, idle_ms: 15_000, total_ms: 120_000 });
export const DEFAULT_UPLOAD_TIMEOUTS: ResolvedTimeouts = Object.freeze({ headers_ms: 15_000, idle_ms: 15_000, total_ms: 120_000 });

function limit(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || Number.isNaN(v) || v <= 0) throw new NatsBridgeError("INVALID_OPTIONS", `timeouts.${name} must be a positive number of milliseconds (Infinity: none)`);
  return v;
}

/** Later layers win field by field: defaults ← bridge/handler ← call. */
export function resolveTimeouts(dflt: ResolvedTimeouts, ...layers: Array<Timeouts | undefined>): ResolvedTimeouts {
  const out = { ...dflt };
  for (const t of layers) {
    if (t === undefined) continue;
    if (typeof t !== "object" || t === null) throw new NatsBridgeError("INVALID_OPTIONS", "timeouts must be an object { headers_ms, idle_ms, total_ms }");
    out.headers_ms = limit(t.headers_ms, "headers_ms") ?? out.headers_ms;
    out.idle_ms = limit(t.idle_ms, "idle_ms") ?? out.idle_ms;
    out.total_ms = limit(t.total_ms, "total_ms") ?? out.total_ms;
  }
  return out;
}

/** setTimeout takes at most 2^31-1 ms; beyond that (or Infinity) no timer is needed. */
const MAX_TIMER = 2 ** 31 - 1;
const later = (ms: number, fn: () => void) => (ms >= MAX_TIMER ? undefined : setTimeout(fn, Math.max(0, ms)));

export type Expiry = "headers" | "idle" | "total" | "aborted";

/**
 * The AbortSignal for one request. It aborts when the current stage (waiting for headers, or for
 * the next body chunk) outlasts its limit, when the overall deadline passes, or when the parent
 * signal aborts (the caller gave up, or a sibling download failed). `expired` says which.
 */
export class RequestGuard {
  private readonly controller = new AbortController();
  private stageTimer: ReturnType<typeof setTimeout> | undefined;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onParentAbort = () => this.expire("aborted");
  expired: Expiry | undefined;

  constructor(
    private readonly parent: AbortSignal | undefined,
    deadline_at: number,
  ) {
    if (parent?.aborted) this.expire("aborted");
    else parent?.addEventListener("abort", this.onParentAbort, { once: true });
    this.deadlineTimer = later(deadline_at - Date.now(), () => this.expire("total"));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** (Re)start the stage clock: before the request ("headers"), after each chunk ("idle"). */
  stage(stage: "headers" | "idle", ms: number): void {
    if (this.stageTimer !== undefined) clearTimeout(this.stageTimer);
    this.stageTimer = later(ms, () => this.expire(stage));
  }

  /** A body handed to the caller as a stream is read at the caller's pace: only the idle limit stays. */
  untilIdle(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  dispose(): void {
    if (this.stageTimer !== undefined) clearTimeout(this.stageTimer);
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.parent?.removeEventListener("abort", this.onParentAbort);
  }

  private expire(why: Expiry): void {
    if (this.expired !== undefined) return;
    this.expired = why;
    this.controller.abort();
  }
}

/** A wait that ends early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
