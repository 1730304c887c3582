/**
 * A Plik-compatible HTTP gateway over a JetStream Object Store bucket (issue 10): peers that only
 * speak HTTP (Python, Julia, MicroPython) keep using the Plik protocol, while the files live in
 * NATS — replicated in a cluster, expiring with the bucket's TTL, and shared by every gateway
 * process that serves the same bucket (no local state but the one-shot download in progress).
 *
 * Objects: `upload/<id>` holds an upload's settings (JSON: token hash, OneShot, expiry);
 * `file/<id>/<fileId>` holds a file, its name in the object's description. Uploads and downloads
 * stream through in chunks; the store checks its SHA-256 while a download is sent, and a failed
 * check aborts the response before its end.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createObjectStoreClaims } from "../core/claimcheck/objectstore.js";
import type { ConnectionSource, ObjectStoreLike } from "../core/jetstream/api.js";
import { answerPreflight, applyCors } from "./cors.js";
import { baseUrl, HttpError, listen, readSmallBody, sendError, sendJson } from "./http.js";
import { parseHeaderParams } from "./multipart.js";
import { percentDecode as decodeSegment, whatwgUnescape } from "./names.js";
import { objectStoreSink } from "./objectstore-sink.js";
import { receiveFile } from "./receive-file.js";
import { field } from "./routes.js";
import type { FileServerStats } from "./server.js";
import { trackShutdown } from "./shutdown.js";
import { newId, tokenMatches } from "./store.js";

export interface ObjectStoreGatewayOptions {
  /** A JetStream-enabled NATS connection (`nats`), or a function giving one. */
  connection: ConnectionSource;
  /** The bucket the files live in (default "natsbridge-files"); several gateways may share it. */
  bucket?: string;
  /** The bucket's TTL when this gateway creates it, ms (default 24 h): the longest any file lives. */
  ttl_ms?: number;
  /** Copies in a cluster when this gateway creates the bucket (default 1). */
  replicas?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** TCP port; 0 (default) lets the OS pick. */
  port?: number;
  /** Largest accepted file in bytes. Default: unlimited (the bucket's capacity still applies). */
  maxUploadBytes?: number;
}

export interface ObjectStoreGateway {
  /** Base URL to give natsbridge (or a Plik client) as `fileserver_url`. */
  url: string;
  port: number;
  bucket: string;
  stats(): FileServerStats;
  /** Stop serving; the bucket and the connection stay. */
  close(): Promise<void>;
}

interface UploadMeta {
  token_sha256: string;
  oneShot: boolean;
  ttl: number;
  /** Epoch ms; 0 = no expiry of its own (the bucket's TTL still applies). */
  expiresAt: number;
}

const sha256hex = (s: string) => createHash("sha256").update(s).digest("hex");
const uploadObject = (id: string) => `upload/${id}`;
const fileObject = (id: string, fileId: string) => `file/${id}/${fileId}`;
// Upload settings are a few dozen bytes; anything bigger under that name was not written by a gateway.
const MAX_UPLOAD_META = 4096;

/** Until the response can take more (or is gone); both listeners removed again. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((ok) => {
    const go = () => {
      res.off("drain", go).off("close", go);
      ok();
    };
    res.on("drain", go).on("close", go);
  });
}

export async function startObjectStoreGateway(opts: ObjectStoreGatewayOptions): Promise<ObjectStoreGateway> {
  const bucket = opts.bucket ?? "natsbridge-files";
  const claims = createObjectStoreClaims({ connection: opts.connection, bucket, ttl_ms: opts.ttl_ms, replicas: opts.replicas });
  const store = () => claims.objectStore();
  await claims.ensureBucket();
  const host = opts.host ?? "127.0.0.1";
  const maxUploadBytes = opts.maxUploadBytes ?? Infinity;
  const counters: FileServerStats = { uploads: 0, downloads: 0 };
  // One-shot files being sent by this process; other gateways on the bucket see the file until it is deleted.
  const downloading = new Set<string>();

  async function liveUpload(os: ObjectStoreLike, id: string | undefined): Promise<UploadMeta | undefined> {
    if (id === undefined || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
    const info = await os.info(uploadObject(id));
    if (!info || info.deleted || info.size > MAX_UPLOAD_META) return undefined;
    const bytes = await os.getBlob(uploadObject(id));
    if (!bytes) return undefined;
    let meta: UploadMeta;
    try {
      meta = JSON.parse(new TextDecoder().decode(bytes)) as UploadMeta;
    } catch {
      return undefined;
    }
    if (typeof meta?.token_sha256 !== "string" || typeof meta.oneShot !== "boolean") return undefined;
    if (meta.expiresAt > 0 && Date.now() >= meta.expiresAt) return undefined;
    return meta;
  }

  async function createUpload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readSmallBody(req, 64 * 1024)).toString("utf8").trim();
    let body: Record<string, unknown> = {};
    if (raw !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new HttpError(400, "upload parameters are not valid JSON");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new HttpError(400, "upload parameters must be a JSON object");
      body = parsed as Record<string, unknown>;
    }
    const oneShot = field(body, "OneShot") ?? false;
    if (typeof oneShot !== "boolean") throw new HttpError(400, "OneShot must be a boolean");
    const ttl = field(body, "TTL") ?? 0;
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) throw new HttpError(400, "TTL must be a number of seconds");
    const id = newId();
    const token = newId(24);
    const meta: UploadMeta = { token_sha256: sha256hex(token), oneShot, ttl: ttl > 0 ? ttl : 0, expiresAt: ttl > 0 ? Date.now() + ttl * 1000 : 0 };
    await (await store()).putBlob({ name: uploadObject(id) }, new TextEncoder().encode(JSON.stringify(meta)));
    sendJson(res, 200, { id, uploadToken: token, oneShot, ttl: meta.ttl });
  }

  async function addFile(req: IncomingMessage, res: ServerResponse, uploadId: string | undefined): Promise<void> {
    const os = await store();
    const upload = await liveUpload(os, uploadId);
    if (!upload) throw new HttpError(404, "upload not found");
    // Compare hashes: equal length, and the stored value never is the token itself.
    const given = req.headers["x-uploadtoken"];
    if (typeof given !== "string" || !tokenMatches(upload.token_sha256, sha256hex(given))) throw new HttpError(403, "invalid upload token");
    const { type, params } = parseHeaderParams(req.headers["content-type"] ?? "");
    const boundary = params["boundary"];
    if (type !== "multipart/form-data" || !boundary) throw new HttpError(400, "expected a multipart/form-data body");
    const fileId = newId();
    const object = fileObject(uploadId!, fileId);
    // No cap on the body beyond the file's own: the parser keeps only a delimiter's length of anything else.
    const got = await receiveFile(req, objectStoreSink(os, object), { boundary, maxBytes: maxUploadBytes, maxBodyBytes: Infinity });
    counters.uploads++;
    sendJson(res, 200, { id: fileId, fileName: got.name, fileSize: got.size, status: "uploaded" });
  }

  async function getFile(req: IncomingMessage, res: ServerResponse, segs: string[]): Promise<void> {
    const os = await store();
    const uploadId = decodeSegment(segs[0]!);
    const fileId = decodeSegment(segs[1]!);
    const name = decodeSegment(segs.slice(2).join("/"));
    const upload = await liveUpload(os, uploadId);
    const valid = upload && fileId !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(fileId) && name !== undefined;
    const object = valid ? fileObject(uploadId!, fileId!) : "";
    const info = valid ? await os.info(object) : null;
    // The name is part of a Plik download URL and must match the stored one (or its WHATWG-escaped spelling).
    if (!info || info.deleted || downloading.has(object) || (name !== info.description && whatwgUnescape(name!) !== info.description)) {
      throw new HttpError(404, "file not found");
    }
    const headers = { "Content-Type": "application/octet-stream", "Content-Length": String(info.size), "Cache-Control": "no-store" };
    if (req.method === "HEAD") {
      res.writeHead(200, headers);
      res.end();
      return;
    }
    if (upload!.oneShot) downloading.add(object);
    try {
      const got = await os.get(object);
      if (!got) throw new HttpError(404, "file not found");
      const reader = got.data.getReader();
      res.writeHead(200, headers);
      let sent = 0;
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          sent += r.value.byteLength;
          if (sent > info.size) throw new Error("object holds more bytes than its info says");
          if (!res.write(r.value)) await drained(res);
          if (res.destroyed) throw new Error("client went away");
        }
        if (sent !== info.size) throw new Error("object ended early");
      } catch (e) {
        // Digest or size check failed, or the client left: never end the response as if whole.
        await reader.cancel().catch(() => undefined);
        res.destroy();
        return;
      }
      await new Promise<void>((ok) => res.end(ok));
      counters.downloads++;
      if (upload!.oneShot) await os.delete(object).catch(() => undefined);
    } finally {
      downloading.delete(object);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    // The gateway serves peers that speak HTTP (Python, Julia, MicroPython), not web pages: a
    // request from a browser origin is refused, as the dev file server does for unnamed origins.
    if (!applyCors(req, res, () => false)) throw new HttpError(403, "origin not allowed");
    if (method === "OPTIONS") return answerPreflight(res);
    const path = (req.url ?? "/").split("?")[0]!;
    // Split before decoding: an encoded '/' (%2F) inside a file name must stay part of that name.
    const segs = path.split("/").filter((s, i) => i > 0 || s !== "");
    if (segs[0] === "upload" && segs.length === 1) {
      if (method !== "POST") throw new HttpError(405, "method not allowed");
      return createUpload(req, res);
    }
    if (segs[0] === "file" && segs.length === 2 && method === "POST") return addFile(req, res, decodeSegment(segs[1]!));
    if (segs[0] === "file" && segs.length >= 4 && (method === "GET" || method === "HEAD")) return getFile(req, res, segs.slice(1));
    if (segs[0] === "file") throw new HttpError(method === "GET" || method === "HEAD" || method === "POST" ? 404 : 405, "not found");
    throw new HttpError(404, "not found");
  }

  const server: Server = createServer((req, res) => {
    if (shutdown.closing) return sendError(res, 503, "server closing");
    const p = (async () => {
      try {
        await handle(req, res);
      } catch (e) {
        if (e instanceof HttpError) sendError(res, e.status, e.message);
        else sendError(res, 503, `object store: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
    shutdown.track(p);
  });
  const shutdown = trackShutdown(server);
  await listen(server, opts.port ?? 0, host);
  server.on("error", () => undefined);
  const port = (server.address() as AddressInfo).port;
  const url = baseUrl(host, port);

  return {
    url,
    port,
    bucket,
    stats: () => ({ ...counters }),
    close: () => shutdown.close(),
  };
}
