/**
 * The dev file server's HTTP routes, the subset of Plik's API natsbridge uses
 * (docs/wire-format.md, "File server"):
 *   POST /upload                       create an upload → {id, uploadToken, oneShot, ttl}
 *   POST /file/{uploadId}              add a file (multipart field `file`, header X-UploadToken)
 *   GET|HEAD /file/{uploadId}/{fileId}/{name}   download it
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { unlink } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream";
import { answerPreflight } from "./cors.js";
import { HttpError, readSmallBody, sendError, sendJson } from "./http.js";
import { parseHeaderParams } from "./multipart.js";
import { nameMatches, percentDecode } from "./names.js";
import { diskSink } from "./disk-sink.js";
import { receiveFile } from "./receive-file.js";
import { tokenMatches, type StoredFile, type UploadStore } from "./store.js";

export interface RouteContext {
  store: UploadStore;
  /** Largest accepted file (FileServerOptions.maxUploadBytes). */
  maxUploadBytes: number;
  /** Counters behind `FileServer.stats()`. */
  counters: { uploads: number; downloads: number };
  /** True once `close()` began: a file finishing now is not kept. */
  closing(): boolean;
}

/** Upload parameters are a small JSON object; anything bigger is not a Plik client. */
const MAX_PARAMS_BYTES = 64 * 1024;

/**
 * What a file post may carry besides the file: boundary lines and part headers (16 KiB at most
 * each, multipart.ts). A body longer than the file cap plus this is refused as it arrives.
 */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

// Plik's JSON handlers decode with Go's encoding/json, which matches field names
// case-insensitively: `{"OneShot": true}` and `{"oneShot": true}` mean the same to a real Plik.
export function field(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readSmallBody(req, MAX_PARAMS_BYTES)).toString("utf8").trim();
  if (raw === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, "upload parameters are not valid JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "upload parameters must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

async function createUpload(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readParams(req);
  const oneShot = field(body, "OneShot") ?? false;
  if (typeof oneShot !== "boolean") throw new HttpError(400, "OneShot must be a boolean");
  const ttl = field(body, "TTL") ?? 0;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) throw new HttpError(400, "TTL must be a number of seconds");
  const upload = ctx.store.create({ oneShot, ttl });
  // 507: the server cannot store another upload until one expires (FileServerOptions.maxUploads).
  if (!upload) throw new HttpError(507, "too many uploads held; try again later");
  sendJson(res, 200, { id: upload.id, uploadToken: upload.token, oneShot: upload.oneShot, ttl: upload.ttl });
}

async function addFile(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, uploadId: string | undefined): Promise<void> {
  const upload = ctx.store.get(uploadId);
  if (!upload) throw new HttpError(404, "upload not found");
  if (!tokenMatches(upload.token, req.headers["x-uploadtoken"])) throw new HttpError(403, "invalid upload token");
  const { type, params } = parseHeaderParams(req.headers["content-type"] ?? "");
  const boundary = params["boundary"];
  if (type !== "multipart/form-data" || !boundary) throw new HttpError(400, "expected a multipart/form-data body");

  const maxBodyBytes = ctx.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
  // A declared length over the cap is refused before a byte of the body is read.
  if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) throw new HttpError(413, `request body larger than ${maxBodyBytes} bytes`);

  let stored: StoredFile | undefined;
  try {
    const { id, path } = await ctx.store.beginFile(upload);
    const got = await receiveFile(req, diskSink(path), { boundary, maxBytes: ctx.maxUploadBytes, maxBodyBytes }).catch((e: unknown) => {
      // The upload expired (or the server is closing) while its file came in: its directory is
      // gone, which is why writing failed.
      throw ctx.store.has(upload) ? e : new HttpError(404, "upload not found");
    });
    if (ctx.closing() || !ctx.store.has(upload)) {
      await unlink(path).catch(() => undefined);
      throw new HttpError(404, "upload not found");
    }
    stored = { id, name: got.name, size: got.size, path, downloading: false };
  } finally {
    ctx.store.endFile(upload, stored);
  }
  ctx.counters.uploads++;
  sendJson(res, 200, { id: stored.id, fileName: stored.name, fileSize: stored.size, status: "uploaded" });
}

function getFile(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, segs: string[]): Promise<void> | void {
  const upload = ctx.store.get(percentDecode(segs[0]));
  const file = upload?.files.get(percentDecode(segs[1]) ?? "");
  const name = percentDecode(segs.slice(2).join("/"));
  // The name is part of a Plik download URL and must match the stored one.
  if (!upload || !file || file.downloading || name === undefined || !nameMatches(file.name, name)) {
    throw new HttpError(404, "file not found");
  }
  const headers = {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(file.size),
    "Cache-Control": "no-store",
  };
  if (req.method === "HEAD") {
    // HEAD reveals the size without spending a one-shot file's single download.
    res.writeHead(200, headers);
    res.end();
    return;
  }
  if (upload.oneShot) file.downloading = true;
  return new Promise<void>((resolve) => {
    const rs = createReadStream(file.path);
    // The client may be gone (or the pipeline already answered its error) before the file opens:
    // writing headers then would throw outside any handler and take the whole server down.
    rs.once("open", () => {
      if (!res.headersSent && !res.destroyed) res.writeHead(200, headers);
    });
    pipeline(rs, res, (err) => {
      if (err) {
        // Only a download the client received whole spends a one-shot file; an interrupted one
        // can be retried.
        file.downloading = false;
        if (!res.headersSent) sendError(res, 404, "file not found");
        else res.destroy();
        resolve();
        return;
      }
      ctx.counters.downloads++;
      if (upload.oneShot) void ctx.store.spend(upload, file).then(resolve);
      else resolve();
    });
  });
}

/** Dispatch one request; throws HttpError for refusals. */
export async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  if (method === "OPTIONS") return answerPreflight(res);
  const path = (req.url ?? "/").split("?")[0];
  // Split before decoding: an encoded '/' (%2F) inside a file name must stay part of that name.
  const segs = path.split("/").filter((s, i) => i > 0 || s !== "");
  if (segs[0] === "upload" && segs.length === 1) {
    if (method !== "POST") throw new HttpError(405, "method not allowed");
    return createUpload(ctx, req, res);
  }
  if (segs[0] === "file" && segs.length === 2 && method === "POST") {
    return addFile(ctx, req, res, percentDecode(segs[1]));
  }
  if (segs[0] === "file" && segs.length >= 4 && (method === "GET" || method === "HEAD")) {
    return getFile(ctx, req, res, segs.slice(1));
  }
  if (segs[0] === "file") throw new HttpError(method === "GET" || method === "HEAD" || method === "POST" ? 404 : 405, "not found");
  throw new HttpError(404, "not found");
}
