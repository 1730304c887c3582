import { NatsBridgeError } from "../errors.js";
import type { Runtime } from "../runtime.js";
import type { UploadHandler, UploadResult } from "../types.js";

export interface PlikUploadOptions {
  /** Plik deletes a one-shot file after its first download: right for one receiver, wrong for a fan-out subject. */
  oneShot?: boolean;
  /** Seconds the upload lives on the server (Plik's `TTL`); the server's default when omitted. */
  ttl?: number;
  /** Extra request headers, e.g. Plik's `X-PlikToken` for an authenticated server. */
  headers?: Record<string, string>;
}

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
  return async (fileserver_url, dataname, data): Promise<UploadResult> => {
    const base = trimSlash(fileserver_url);
    const fileName = plikFileName(dataname);
    const fail = (step: string, why: string, cause?: unknown) =>
      new NatsBridgeError("UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} to ${base} failed at ${step}: ${why}`, {
        cause,
        details: { fileserver_url: base, dataname, step },
      });

    const body: Record<string, unknown> = { OneShot: oneShot };
    if (opts.ttl !== undefined) body.TTL = opts.ttl;
    const created = await postJson(runtime, `${base}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...opts.headers },
      body: JSON.stringify(body),
    }).catch((e) => {
      throw fail("POST /upload", e.message, e);
    });
    const uploadid = created.json?.id;
    const token = created.json?.uploadToken;
    if (typeof uploadid !== "string" || typeof token !== "string") throw fail("POST /upload", "response has no id/uploadToken");

    const form = new runtime.FormData();
    form.append("file", new runtime.Blob([data], { type: "application/octet-stream" }), fileName);
    const posted = await postJson(runtime, `${base}/file/${encodeURIComponent(uploadid)}`, {
      method: "POST",
      headers: { "X-UploadToken": token, ...opts.headers },
      body: form,
    }).catch((e) => {
      throw fail(`POST /file/${uploadid}`, e.message, e);
    });
    const fileid = posted.json?.id;
    if (typeof fileid !== "string") throw fail(`POST /file/${uploadid}`, "response has no file id");
    const url = `${base}/file/${encodeURIComponent(uploadid)}/${encodeURIComponent(fileid)}/${encodeURIComponent(fileName)}`;
    return { status: posted.status, uploadid, fileid, url };
  };
}

async function postJson(runtime: Runtime, url: string, init: Record<string, unknown>): Promise<{ status: number; json: any }> {
  const res = await runtime.fetch(url, init);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    throw new Error(`HTTP ${res.status} with a body that is not JSON`);
  }
}
