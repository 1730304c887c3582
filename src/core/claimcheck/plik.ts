import { NatsBridgeError } from "../errors.js";
import { fileBody } from "./multipart-body.js";
import type { Runtime } from "../runtime.js";
import type { UploadHandler, UploadResult } from "../types.js";
import { BodyRefused, readBody } from "./read-body.js";
import { DEFAULT_UPLOAD_TIMEOUTS, RequestGuard, resolveTimeouts, type Expiry, type ResolvedTimeouts, type Timeouts } from "./timeouts.js";

/** What smartsend passes an upload handler besides the seeds' three arguments. */
export interface UploadCallOptions {
  /** Per call; field by field over the handler's own `timeouts`. */
  timeouts?: Timeouts;
  signal?: AbortSignal;
  /** Bytes sent so far, for handlers that stream (smartsend reports the start and the end itself). */
  onProgress?: (loaded: number) => void;
}

export interface PlikUploadOptions {
  /** Plik deletes a one-shot file after its first download: right for one receiver, wrong for a fan-out subject. */
  oneShot?: boolean;
  /** Seconds the upload lives on the server (Plik's `TTL`); the server's default when omitted. */
  ttl?: number;
  /** Extra request headers, e.g. Plik's `X-PlikToken` for an authenticated server. */
  headers?: Record<string, string>;
  /**
   * `{ headers_ms, idle_ms, total_ms }` (defaults 15 s, 15 s, 120 s). `total_ms` bounds the whole
   * upload (both requests); `headers_ms` the wait for the answer to creating the upload — the file
   * POST's answer only comes after its body is sent, which only the total bounds; `idle_ms` the
   * pauses in reading either answer.
   */
  timeouts?: Timeouts;
}

/** Plik answers with a short JSON document; anything longer is not Plik. */
const MAX_ANSWER_BYTES = 1024 * 1024;

const trimSlash = (u: string) => u.replace(/\/+$/, "");

/**
 * The name the file gets on the server. Plik keeps only the last path segment of a multipart
 * filename and does not undo the %22/%0D/%0A escapes browsers and undici put in it, so a dataname
 * with `/`, `\`, quotes or control characters would give a download URL that does not match.
 * The payload's dataname travels unchanged in the envelope; only the stored file name is tamed.
 */
export function plikFileName(dataname: string): string {
  const name = dataname.replace(/[\/\\"\u0000-\u001f\u007f]/g, "_");
  return name === "" || name === "." || name === ".." ? "payload" : name;
}

/** Plik's upload protocol: create an upload, post the file into it, download at /file/{upload}/{file}/{name}. */
export function makePlikUploader(runtime: Runtime, opts: PlikUploadOptions = {}): UploadHandler {
  const oneShot = opts.oneShot ?? true;
  return async (fileserver_url, dataname, data, call = {}): Promise<UploadResult> => {
    const base = trimSlash(fileserver_url);
    const fileName = plikFileName(dataname);
    const timeouts = resolveTimeouts(DEFAULT_UPLOAD_TIMEOUTS, opts.timeouts, call?.timeouts);
    const limits = { timeouts, deadline_at: Date.now() + timeouts.total_ms, signal: call?.signal };
    const fail = (step: string, why: string, cause?: unknown) =>
      new NatsBridgeError("UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} to ${base} failed at ${step}: ${why}`, {
        cause,
        details: { fileserver_url: base, dataname, step, ...(cause instanceof StepTimeout && { timeout: cause.expired }) },
      });

    const body: Record<string, unknown> = { OneShot: oneShot };
    if (opts.ttl !== undefined) body.TTL = opts.ttl;
    const created = await postJson(runtime, `${base}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...opts.headers },
      body: JSON.stringify(body),
    }, { ...limits, headers: true }).catch((e) => {
      throw fail("POST /upload", e.message, e);
    });
    const uploadid = created.json?.id;
    const token = created.json?.uploadToken;
    if (typeof uploadid !== "string" || typeof token !== "string") throw fail("POST /upload", "response has no id/uploadToken");

    const file = await fileBody(runtime, data, fileName, call?.onProgress, call?.signal);
    const posted = await postJson(runtime, `${base}/file/${encodeURIComponent(uploadid)}`, {
      method: "POST",
      headers: { "X-UploadToken": token, ...file.headers, ...opts.headers },
      body: file.body,
      ...(file.duplex && { duplex: file.duplex }),
    }, { ...limits, headers: false }).catch((e) => {
      throw fail(`POST /file/${uploadid}`, e.message, e);
    });
    const fileid = posted.json?.id;
    if (typeof fileid !== "string") throw fail(`POST /file/${uploadid}`, "response has no file id");
    const url = `${base}/file/${encodeURIComponent(uploadid)}/${encodeURIComponent(fileid)}/${encodeURIComponent(fileName)}`;
    return { status: posted.status, uploadid, fileid, url };
  };
}

interface StepLimits {
  timeouts: ResolvedTimeouts;
  deadline_at: number;
  signal?: AbortSignal;
  /** Whether headers_ms applies: not while a large request body may still be on its way. */
  headers: boolean;
}

class StepTimeout extends Error {
  constructor(readonly expired: Expiry, ms: number) {
    super(expired === "aborted" ? "aborted" : `timed out (${expired === "total" ? "total_ms" : `${expired}_ms`} = ${ms} ms)`);
  }
}

/** One Plik request under the upload's time limits (issue 8 item 5: a frozen server must not hold smartsend). */
async function postJson(runtime: Runtime, url: string, init: Record<string, unknown>, lim: StepLimits): Promise<{ status: number; json: any }> {
  const guard = new RequestGuard(lim.signal, lim.deadline_at);
  const t = lim.timeouts;
  if (lim.headers) guard.stage("headers", t.headers_ms);
  let res, answer: Uint8Array;
  try {
    res = await runtime.fetch(url, { ...init, signal: guard.signal });
    guard.stage("idle", t.idle_ms);
    answer = await readBody(res, { max_bytes: MAX_ANSWER_BYTES, onChunk: () => guard.stage("idle", t.idle_ms) });
  } catch (e) {
    const expired = guard.expired;
    if (expired) throw new StepTimeout(expired, expired === "total" ? t.total_ms : expired === "headers" ? t.headers_ms : t.idle_ms);
    if (e instanceof BodyRefused) throw new Error(`HTTP ${res?.status} with an answer over ${MAX_ANSWER_BYTES} bytes`);
    throw e;
  } finally {
    guard.dispose();
  }
  const text = new TextDecoder().decode(answer);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    throw new Error(`HTTP ${res.status} with a body that is not JSON`);
  }
}
