import { asBytes } from "../bytes.js";
import { NatsBridgeError, withCorrelation } from "../errors.js";
import type { Trace } from "../log.js";
import { incrementalSha256, sha256Hex, type IncrementalHash } from "../integrity.js";
import { progressReporter, type ProgressListener } from "../progress.js";
import { abortFanOut } from "../abort-fanout.js";
import type { Runtime } from "../runtime.js";
import type { DownloadHandler } from "../types.js";
import { downloadError, TRANSFER_FAILED } from "./download-error.js";
import {
  countOption,
  DEFAULT_MAX_CONCURRENT_DOWNLOADS,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  DEFAULT_MAX_LINKS,
  DEFAULT_MAX_PAYLOAD_BYTES,
} from "./limits.js";
import { makeLimiter } from "./limiter.js";
import { makeOriginPolicy, type AllowedOrigins, type OriginRule } from "./origin-policy.js";
import { resolveRetry, type PositionalRetry, type RetryOptions } from "./retry.js";
import type { Timeouts } from "./timeouts.js";

/** smartreceive's options for link payloads (issue 8 items 2–5, issue 7 retry). */
export interface LinkReceiveOptions {
  /**
   * The file server(s) links may point to; their origins are allowed. Default: the bridge's
   * `fileserver_url` (`http://localhost:8080` unless the bridge was given another).
   */
  fileserver_url?: string | readonly string[];
  /** More origins (`"https://files.example.com"`) and/or predicates `(url: URL) => boolean`; see docs/security.md. */
  allowed_origins?: AllowedOrigins;
  /** Links one message may carry; more are refused before any request. Default 64. */
  max_links?: number;
  /** Downloads of one message running at once. Default 4. */
  max_concurrent_downloads?: number;
  /** Largest link payload accepted, bytes. Default 256 MiB. */
  max_payload_bytes?: number;
  /** All link payloads of one message together, bytes. Default 1 GiB. */
  max_download_bytes?: number;
  /** Per payload: `{ headers_ms, idle_ms, total_ms }`, defaults 15 s, 15 s, 120 s. */
  timeouts?: Timeouts;
  /** `{ limit, statuses, base_delay, max_delay, jitter }`; wins over max_retries/base_delay/max_delay. */
  retry?: RetryOptions;
  /** Abort the whole receive (every download of this message). */
  signal?: AbortSignal;
}

/** A link payload as the envelope names it. */
export interface LinkRef {
  url: string;
  size?: number | null;
  dataname: string;
  /** metadata.sha256 as the envelope names it (checked to be 64 hex digits): verified as the bytes arrive. */
  sha256?: string;
  /** Hand the body back as a stream (smartreceive's `as: "stream"` for the byte types). */
  as_stream?: boolean;
}

export interface SessionContext {
  handler: DownloadHandler;
  positional: PositionalRetry;
  /** Used when the options name no fileserver_url. */
  default_fileserver_url: string | readonly string[];
  correlation_id: string;
  trace: Trace;
  runtime: Pick<Runtime, "sha256">;
  onProgress?: ProgressListener;
}

/** The downloads of one received message. */
export interface DownloadSession {
  fetch(link: LinkRef): Promise<Uint8Array | ReadableStream<Uint8Array>>;
  /**
   * Await every payload; on the first failure every other download of the message is aborted
   * (issue 8 item 4: a failed call must not keep reading hundreds of megabytes).
   */
  settle<T>(start: () => Array<T | Promise<T>>): Promise<T[]>;
}

const name = (l: LinkRef) => JSON.stringify(l.dataname);

/**
 * Judge every link before the first request — count, origin, declared sizes — then run the
 * downloads with bounded concurrency under one AbortController.
 */
export function openDownloadSession(links: readonly LinkRef[], o: LinkReceiveOptions, ctx: SessionContext): DownloadSession {
  const { correlation_id } = ctx;
  const max_links = countOption(o.max_links, "max_links", DEFAULT_MAX_LINKS);
  const concurrency = countOption(o.max_concurrent_downloads, "max_concurrent_downloads", DEFAULT_MAX_CONCURRENT_DOWNLOADS, 1);
  const max_payload = countOption(o.max_payload_bytes, "max_payload_bytes", DEFAULT_MAX_PAYLOAD_BYTES);
  const max_total = countOption(o.max_download_bytes, "max_download_bytes", DEFAULT_MAX_DOWNLOAD_BYTES);
  const retry = resolveRetry(o.retry, ctx.positional);
  // The handler gets the same allow list, so a handler used on its own keeps the rule.
  const fileservers = o.fileserver_url ?? ctx.default_fileserver_url;
  const allowed: OriginRule[] = [...(typeof fileservers === "string" ? [fileservers] : fileservers), ...([] as OriginRule[]).concat(o.allowed_origins ?? [])];
  const policy = makeOriginPolicy(fileservers, o.allowed_origins);

  const refuse = (reason: Parameters<typeof downloadError>[0], message: string, details: Record<string, unknown>) =>
    downloadError(reason, message, { correlation_id, details });
  if (links.length > max_links) {
    throw refuse("too_many_links", `message carries ${links.length} links; max_links is ${max_links}`, { links: links.length, max_links });
  }
  let declared = 0;
  for (const l of links) {
    const url = new URL(l.url);
    // The origin policy is for HTTP; a scheme another handler claims (natsobj:, the Object Store)
    // was let through by smartreceive only because that handler has its own allow-list.
    if ((url.protocol === "http:" || url.protocol === "https:") && !policy(url)) {
      throw refuse("origin_not_allowed", `link origin ${url.origin} of payload ${name(l)} is not allowed: name it in fileserver_url or allowed_origins`, {
        dataname: l.dataname,
        origin: url.origin,
      });
    }
    if (l.size != null && l.size > max_payload) {
      throw refuse("too_large", `payload ${name(l)} is ${l.size} bytes; max_payload_bytes is ${max_payload}`, { dataname: l.dataname, size: l.size, max_payload_bytes: max_payload });
    }
    declared += l.size ?? 0;
  }
  if (declared > max_total) {
    throw refuse("too_large", `link payloads add up to ${declared} bytes; max_download_bytes is ${max_total}`, { size: declared, max_download_bytes: max_total });
  }

  const controller = new AbortController();
  const fan = abortFanOut(controller.signal);
  const run = makeLimiter(concurrency);
  // Declared sizes are set aside already; links without one draw their cap from what is left and
  // give back what they did not use, so the bytes of one message never exceed max_download_bytes.
  let unreserved = max_total - declared;

  const fetchOne = async (l: LinkRef): Promise<Uint8Array | ReadableStream<Uint8Array>> => {
    if (controller.signal.aborted) throw refuse("aborted", `download of ${name(l)} was cancelled`, { dataname: l.dataname });
    const cap = l.size != null ? l.size : Math.min(max_payload, unreserved);
    if (l.size == null) unreserved -= cap;
    let used = cap;
    try {
      const b = await fetchCapped(l, cap);
      // A stream's bytes are still to come: its whole share stays reserved.
      if (b instanceof Uint8Array) used = b.byteLength;
      return b;
    } catch (e) {
      used = 0;
      throw e;
    } finally {
      if (l.size == null) unreserved += cap - used;
    }
  };

  const fetchCapped = async (l: LinkRef, cap: number): Promise<Uint8Array | ReadableStream<Uint8Array>> => {
    let got: unknown;
    // Hash and progress ride on the handler's own read of the body: one pass, a fresh start per attempt.
    const progress = progressReporter(ctx.onProgress, l.dataname, "download", l.size ?? null);
    let hash: IncrementalHash | undefined;
    let loaded = 0;
    const onBody = () => {
      hash = l.sha256 ? incrementalSha256(ctx.runtime) : undefined;
      loaded = 0;
      return (chunk: Uint8Array) => {
        hash?.update(chunk);
        loaded += chunk.byteLength;
        progress.to(loaded);
      };
    };
    // A child signal per download: one listener on the session's signal however many links (abort-fanout.ts).
    const child = fan.child();
    try {
      got = await ctx.handler(l.url, retry.limit, retry.base_delay, retry.max_delay, correlation_id, {
        signal: child.signal,
        expected_size: l.size ?? null,
        max_bytes: cap,
        timeouts: o.timeouts,
        retry: o.retry,
        allowed_origins: allowed,
        correlation_id,
        trace: ctx.trace,
        onBody,
        ...(l.as_stream && { as_stream: true }),
      });
    } catch (e) {
      child.release();
      throw renamed(e, l, correlation_id);
    }
    // A stream is read after the message is settled: its child stays with it.
    if (!(got instanceof ReadableStream)) child.release();
    if (got instanceof ReadableStream) return checkedStream(got, l, () => hash, () => loaded, progress, correlation_id);
    const b = asBytes(got);
    if (!b) throw new NatsBridgeError("DOWNLOAD_FAILED", `download handler returned no bytes for ${name(l)}`, { correlation_id });
    // A handler of the user's own may not stream; its result is held to the same bounds.
    if (b.byteLength > cap) throw refuse("too_large", `download of ${name(l)} failed`, { dataname: l.dataname, max_bytes: cap });
    if (l.size != null && l.size !== b.byteLength) throw refuse("size_mismatch", `download of ${name(l)} failed`, { dataname: l.dataname, size: l.size, received: b.byteLength });
    if (l.sha256) {
      // A handler of the user's own that did not read through onBody: the bytes are hashed here.
      const hex = hash && loaded === b.byteLength ? hash.hex() : await sha256Hex(ctx.runtime, b);
      if (hex !== l.sha256.toLowerCase()) throw integrityError(l, hex, correlation_id);
    }
    progress.done(b.byteLength);
    const out = l.as_stream ? bytesStream(b) : b;
    return out;
  };

  // The caller's signal aborts everything; the link is undone when the message is settled.
  const abort = () => controller.abort();
  if (o.signal?.aborted) abort();
  else o.signal?.addEventListener("abort", abort, { once: true });

  return {
    fetch: (l) => run(() => fetchOne(l)),
    async settle(start) {
      try {
        return await Promise.all(start());
      } catch (e) {
        abort();
        throw e;
      } finally {
        o.signal?.removeEventListener("abort", abort);
      }
    },
  };
}

/** The handler's generic "download failed" gets the payload's name; everything else stays as it was. */
function renamed(e: unknown, l: LinkRef, correlation_id: string): NatsBridgeError {
  if (e instanceof NatsBridgeError) {
    const message = e.message === TRANSFER_FAILED ? `download of ${name(l)} failed` : e.message;
    return new NatsBridgeError(e.code, message, { correlation_id: e.correlation_id ?? correlation_id, cause: e.cause, details: { ...e.details, dataname: l.dataname } });
  }
  return withCorrelation(e, "DOWNLOAD_FAILED", `download of ${name(l)} failed`, correlation_id);
}

function integrityError(l: LinkRef, got: string, correlation_id: string): NatsBridgeError {
  return new NatsBridgeError("INTEGRITY_ERROR", `payload ${name(l)} does not match the SHA-256 its envelope names`, {
    correlation_id,
    details: { dataname: l.dataname, expected: l.sha256, got },
  });
}

function bytesStream(b: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(ctl) {
      if (b.byteLength > 0) ctl.enqueue(b);
      ctl.close();
    },
  });
}

/**
 * A link body handed to the caller as a stream: every failure is a coded error on the stream
 * (DOWNLOAD_FAILED for the transfer, INTEGRITY_ERROR when the bytes do not hash to the envelope's
 * sha256 — decided at the end, so a consumer must treat what it wrote as unconfirmed until the
 * stream closes cleanly).
 */
function checkedStream(
  body: ReadableStream<Uint8Array>,
  l: LinkRef,
  hash: () => IncrementalHash | undefined,
  loaded: () => number,
  progress: ReturnType<typeof progressReporter>,
  correlation_id: string,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        return ctl.error(renamed(e, l, correlation_id));
      }
      if (!r.done) return ctl.enqueue(r.value);
      const h = hash();
      if (l.sha256 && h) {
        const hex = h.hex();
        if (hex !== l.sha256.toLowerCase()) return ctl.error(integrityError(l, hex, correlation_id));
      }
      progress.done(loaded());
      ctl.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
