/**
 * A development file server for Node speaking the subset of the Plik HTTP API that
 * natsbridge's claim-check transport uses (see docs/wire-format.md, "File server").
 *
 * It is meant for tests, demos and local development: state lives in memory, files live in a
 * directory on disk, and nothing is authenticated beyond Plik's per-upload token.
 * Only `node:` built-ins are used so `natsbridge/fileserver` adds no dependencies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, unlink } from "node:fs/promises";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream";
import type { AddressInfo, Socket } from "node:net";

export interface FileServerOptions {
  /** Interface to bind; loopback by default so a dev server is never reachable from the network. */
  host?: string;
  /** TCP port; 0 (default) lets the OS pick a free one. */
  port?: number;
  /** Where files are stored. Default: a fresh temporary directory, removed by `close()`. */
  dir?: string;
  /** Largest accepted file, in bytes (multipart overhead not counted). Default: unlimited. */
  maxUploadBytes?: number;
}

export interface FileServerStats {
  /** Files stored by successful `POST /file/{uploadId}` requests. */
  uploads: number;
  /** `GET` downloads whose body was sent completely. */
  downloads: number;
}

export interface FileServer {
  /** Base URL to give natsbridge as `fileserver_url`, e.g. `http://127.0.0.1:34567`. */
  url: string;
  port: number;
  dir: string;
  close(): Promise<void>;
  stats(): FileServerStats;
}

interface StoredFile {
  id: string;
  name: string;
  size: number;
  path: string;
  /** A one-shot file whose download is under way: concurrent requests must not get it too. */
  downloading: boolean;
}

interface Upload {
  id: string;
  token: string;
  oneShot: boolean;
  ttl: number;
  /** Epoch ms after which the upload is gone; Infinity when it has no TTL. */
  expiresAt: number;
  dir: string;
  files: Map<string, StoredFile>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Plik's JSON handlers decode with Go's encoding/json, which matches field names
// case-insensitively: `{"OneShot": true}` and `{"oneShot": true}` mean the same to a real Plik.
export function field(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

// Plik ids are short random strings; base64url keeps them safe both as URL path segments
// and as file names on disk (no '/', no '.'-only names), so client input never becomes a path.
export function newId(bytes = 12): string {
  return randomBytes(bytes).toString("base64url");
}

export function tokenMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  // Without exposing Content-Length a cross-origin browser client cannot check a download's size.
  "Access-Control-Expose-Headers": "Content-Length",
};

export const PREFLIGHT_HEADERS: Record<string, string> = {
  ...CORS_HEADERS,
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS, HEAD",
  // X-UploadToken is not a CORS-safelisted header, so a browser preflights every file upload.
  "Access-Control-Allow-Headers": "Content-Type, X-UploadToken",
  "Access-Control-Max-Age": "600",
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message, status });
}

/** Decode one URL path segment; a malformed escape can never name a stored file. */
export function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

// The WHATWG multipart/form-data encoding (browsers, undici's fetch) writes `"`, CR and LF in a
// filename as %22, %0D, %0A because the header value is a quoted string with no escape syntax.
export function whatwgUnescape(s: string): string {
  return s.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
}

export async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// Streaming multipart/form-data parser (RFC 2046 §5.1.1, RFC 7578).
// ---------------------------------------------------------------------------------------------

export class MultipartError extends Error {}

export interface MultipartHandlers {
  /** Header names are lower-cased; values are decoded as UTF-8 (what browsers and undici send). */
  onPartBegin(headers: Record<string, string>): void;
  onPartData(data: Buffer): void;
  onPartEnd(): void;
}

const MpState = { Preamble: 0, AfterBoundary: 1, Headers: 2, Body: 3, Done: 4 } as const;
type MpState = (typeof MpState)[keyof typeof MpState];

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * Incremental parser: feed it chunks as they arrive; a delimiter may be split anywhere across
 * chunks. Body bytes are passed through untouched (byte-exact) and only the few bytes that could
 * be the start of a delimiter are held back, so memory use does not grow with the part size.
 */
export class MultipartParser {
  /** `CRLF--boundary`: RFC 2046 makes the CRLF before a boundary part of the delimiter, not the body. */
  private readonly delimiter: Buffer;
  private state: MpState = MpState.Preamble;
  // Treating the stream as if it began with CRLF lets the first boundary (which has no CRLF
  // before it when there is no preamble) be found with the same delimiter as all the others.
  private buf: Buffer = Buffer.from(CRLF);

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
    private readonly maxHeaderBytes = 16 * 1024,
  ) {
    // RFC 2046: a boundary is 1..70 characters.
    if (boundary.length < 1 || boundary.length > 70) throw new MultipartError("invalid multipart boundary");
    this.delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
  }

  get done(): boolean {
    return this.state === MpState.Done;
  }

  write(chunk: Buffer): void {
    if (this.state === MpState.Done) return; // the epilogue carries no data
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.run();
  }

  /** Call when the request body ended; a body that stops before the close delimiter is truncated. */
  end(): void {
    if (this.state !== MpState.Done) throw new MultipartError("multipart body ended before its closing boundary");
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case MpState.Preamble: {
          const i = this.buf.indexOf(this.delimiter);
          if (i < 0) {
            // The preamble is discarded; keep only what could be the start of a delimiter.
            this.keepTail();
            return;
          }
          this.buf = this.buf.subarray(i + this.delimiter.length);
          this.state = MpState.AfterBoundary;
          break;
        }
        case MpState.AfterBoundary: {
          // After a boundary: `--` closes the body; otherwise optional transport padding
          // (spaces/tabs, RFC 2046) and CRLF, then the next part's headers.
          let p = 0;
          while (p < this.buf.length && (this.buf[p] === 0x20 || this.buf[p] === 0x09)) p++;
          if (p > 1024) throw new MultipartError("malformed multipart boundary line");
          if (this.buf.length - p < 2) return;
          if (p === 0 && this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
            this.state = MpState.Done;
            this.buf = Buffer.alloc(0);
            return;
          }
          if (this.buf[p] !== 0x0d || this.buf[p + 1] !== 0x0a) throw new MultipartError("malformed multipart boundary line");
          this.buf = this.buf.subarray(p + 2);
          this.state = MpState.Headers;
          break;
        }
        case MpState.Headers: {
          let headerBlock: Buffer;
          if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
            // A part with no header lines: its blank line follows the boundary line directly.
            headerBlock = Buffer.alloc(0);
            this.buf = this.buf.subarray(2);
          } else {
            const i = this.buf.indexOf(HEADER_END);
            if (i < 0) {
              if (this.buf.length > this.maxHeaderBytes) throw new MultipartError("multipart part headers too large");
              return;
            }
            headerBlock = this.buf.subarray(0, i);
            this.buf = this.buf.subarray(i + HEADER_END.length);
          }
          this.handlers.onPartBegin(parsePartHeaders(headerBlock));
          this.state = MpState.Body;
          break;
        }
        case MpState.Body: {
          const i = this.buf.indexOf(this.delimiter);
          if (i < 0) {
            const keep = Math.min(this.buf.length, this.delimiter.length - 1);
            const emit = this.buf.length - keep;
            if (emit > 0) this.handlers.onPartData(this.buf.subarray(0, emit));
            this.buf = this.buf.subarray(emit);
            return;
          }
          if (i > 0) this.handlers.onPartData(this.buf.subarray(0, i));
          this.handlers.onPartEnd();
          this.buf = this.buf.subarray(i + this.delimiter.length);
          this.state = MpState.AfterBoundary;
          break;
        }
        case MpState.Done:
          return;
      }
    }
  }

  private keepTail(): void {
    const keep = Math.min(this.buf.length, this.delimiter.length - 1);
    this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
  }
}

function parsePartHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.toString("utf8").split("\r\n")) {
    if (line === "") continue;
    if ((line[0] === " " || line[0] === "\t") && last !== undefined) {
      headers[last] += " " + line.trim(); // obsolete line folding (RFC 5322)
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError("malformed multipart part header");
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Parameters of a header value such as `form-data; name="file"; filename="a b.bin"` (names lower-cased). */
export function parseHeaderParams(value: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  let i = value.indexOf(";");
  const type = (i < 0 ? value : value.slice(0, i)).trim().toLowerCase();
  if (i < 0) return { type, params };
  i++;
  while (i < value.length) {
    while (i < value.length && (value[i] === " " || value[i] === "\t" || value[i] === ";")) i++;
    const eq = value.indexOf("=", i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < value.length && (value[i] === " " || value[i] === "\t")) i++;
    let v = "";
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        // Browsers and undici (WHATWG) never backslash-escape: they write `"` as %22 and a
        // backslash as itself. curl and Go write `\"` for a quote. So `\"` is read as an escaped
        // quote unless it ends the value, and every other backslash is kept as a literal byte.
        if (value[i] === "\\" && value[i + 1] === '"' && !/^"\s*(;|$)/.test(value.slice(i + 1))) i++;
        v += value[i];
        i++;
      }
      i++; // closing quote
      const semi = value.indexOf(";", i);
      i = semi < 0 ? value.length : semi + 1;
    } else {
      const semi = value.indexOf(";", i);
      const end = semi < 0 ? value.length : semi;
      v = value.slice(i, end).trim();
      i = end + 1;
    }
    if (name && !(name in params)) params[name] = v;
  }
  return { type, params };
}

/** The file name of a form-data part: RFC 5987 `filename*` when given, else the WHATWG-escaped `filename`. */
export function partFileName(params: Record<string, string>): string | undefined {
  const ext = params["filename*"];
  if (ext !== undefined) {
    const m = /^([^']*)'[^']*'(.*)$/.exec(ext);
    if (m && /^utf-8$/i.test(m[1])) {
      const decoded = decodeSegment(m[2]);
      if (decoded !== undefined) return decoded;
    }
  }
  const plain = params["filename"];
  return plain === undefined ? undefined : whatwgUnescape(plain);
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** Start the development file server; resolves once it is listening. */
export async function startFileServer(opts: FileServerOptions = {}): Promise<FileServer> {
  const host = opts.host ?? "127.0.0.1";
  const maxUploadBytes = opts.maxUploadBytes ?? Infinity;
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "natsbridge-files-")));
  if (!ownsDir) await mkdir(dir, { recursive: true });

  const uploads = new Map<string, Upload>();
  const counters: FileServerStats = { uploads: 0, downloads: 0 };
  const inflight = new Set<Promise<unknown>>();
  const sockets = new Set<Socket>();
  let closing = false;

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    const done = () => inflight.delete(p);
    p.then(done, done);
    return p;
  }

  function dropUpload(u: Upload): Promise<void> {
    uploads.delete(u.id);
    return rm(u.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The live upload for an id; an expired one is removed here so a TTL holds even between sweeps. */
  function liveUpload(id: string | undefined): Upload | undefined {
    if (id === undefined) return undefined;
    const u = uploads.get(id);
    if (!u) return undefined;
    if (Date.now() >= u.expiresAt) {
      void track(dropUpload(u));
      return undefined;
    }
    return u;
  }

  // Expired uploads are also swept periodically so their bytes leave the disk without a request.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const u of uploads.values()) if (now >= u.expiresAt) void track(dropUpload(u));
  }, 1000);
  sweep.unref();

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
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new HttpError(400, "upload parameters must be a JSON object");
      }
      body = parsed as Record<string, unknown>;
    }
    const oneShot = field(body, "OneShot") ?? false;
    if (typeof oneShot !== "boolean") throw new HttpError(400, "OneShot must be a boolean");
    const ttl = field(body, "TTL") ?? 0;
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) throw new HttpError(400, "TTL must be a number of seconds");
    // Plik reads TTL <= 0 as "server default" / "never"; the dev server keeps such uploads until close().
    const upload: Upload = {
      id: newId(),
      token: newId(24),
      oneShot,
      ttl: ttl > 0 ? ttl : 0,
      expiresAt: ttl > 0 ? Date.now() + ttl * 1000 : Infinity,
      dir: "",
      files: new Map(),
    };
    upload.dir = join(dir, upload.id);
    await mkdir(upload.dir, { recursive: true });
    uploads.set(upload.id, upload);
    sendJson(res, 200, { id: upload.id, uploadToken: upload.token, oneShot: upload.oneShot, ttl: upload.ttl });
  }

  function addFile(req: IncomingMessage, res: ServerResponse, uploadId: string | undefined): Promise<void> {
    const upload = liveUpload(uploadId);
    if (!upload) throw new HttpError(404, "upload not found");
    if (!tokenMatches(upload.token, req.headers["x-uploadtoken"])) throw new HttpError(403, "invalid upload token");
    const { type, params } = parseHeaderParams(req.headers["content-type"] ?? "");
    const boundary = params["boundary"];
    if (type !== "multipart/form-data" || !boundary) throw new HttpError(400, "expected a multipart/form-data body");

    const fileId = newId();
    const path = join(upload.dir, fileId);

    return new Promise<void>((resolve, reject) => {
      let out: WriteStream | undefined;
      let outDone: Promise<void> | undefined;
      let fileName: string | undefined;
      let size = 0;
      let inFilePart = false;
      let gotFile = false;
      let failed = false;
      let ended = false;
      let diskFull = false;

      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.off("data", onData);
        // Let Node discard the rest of the body so the client still reads our status code.
        req.resume();
        const cleanup = new Promise<void>((r) => {
          if (!out || out.closed) return r();
          out.once("close", () => r());
          out.destroy();
        });
        void cleanup.then(() => unlink(path).catch(() => undefined)).then(() => reject(err));
      };

      const parser = new MultipartParser(boundary, {
        onPartBegin(headers) {
          const cd = parseHeaderParams(headers["content-disposition"] ?? "");
          // Plik stores one file per request: the first `file` field; other fields are ignored.
          if (gotFile || cd.type !== "form-data" || cd.params["name"] !== "file") return;
          fileName = partFileName(cd.params);
          if (!fileName) throw new HttpError(400, "the file part has no filename");
          gotFile = inFilePart = true;
          out = createWriteStream(path, { flags: "wx" });
          outDone = new Promise<void>((r, j) => {
            out!.once("finish", () => r());
            out!.once("error", j);
          });
          outDone.catch(fail);
        },
        onPartData(data) {
          if (!inFilePart) return;
          size += data.length;
          if (size > maxUploadBytes) throw new HttpError(413, `file larger than ${maxUploadBytes} bytes`);
          if (!out!.write(data)) diskFull = true;
        },
        onPartEnd() {
          if (inFilePart) {
            inFilePart = false;
            out!.end();
          }
        },
      });

      const onData = (chunk: Buffer) => {
        try {
          parser.write(chunk);
        } catch (e) {
          fail(e instanceof MultipartError ? new HttpError(400, e.message) : e);
          return;
        }
        if (diskFull && !failed) {
          // Backpressure: stop reading the socket while the disk catches up, so a large upload
          // never accumulates in memory. A stream that was end()ed in this chunk never emits
          // 'drain', and a paused request never emits 'end', so 'finish'/'close' resume it too.
          diskFull = false;
          req.pause();
          const w = out!;
          const go = () => {
            w.off("drain", go).off("finish", go).off("close", go);
            if (!failed) req.resume();
          };
          w.on("drain", go).on("finish", go).on("close", go);
        }
      };
      req.on("data", onData);
      req.once("end", () => {
        ended = true;
        if (failed) return;
        try {
          parser.end();
          if (!gotFile) throw new HttpError(400, "no multipart field named 'file'");
        } catch (e) {
          fail(e instanceof MultipartError ? new HttpError(400, e.message) : e);
          return;
        }
        outDone!.then(() => {
          if (failed) return;
          if (closing || !uploads.has(upload.id)) {
            fail(new HttpError(404, "upload not found"));
            return;
          }
          upload.files.set(fileId, { id: fileId, name: fileName!, size, path, downloading: false });
          counters.uploads++;
          sendJson(res, 200, { id: fileId, fileName, fileSize: size, status: "uploaded" });
          resolve();
        }, fail);
      });
      // A client that disconnects mid-upload leaves a partial file: remove it. (`req.complete`
      // is not the test: it is already true when the body arrived but was not read to the end.)
      req.once("close", () => {
        if (!ended) fail(new HttpError(400, "upload aborted"));
      });
    });
  }

  function getFile(req: IncomingMessage, res: ServerResponse, segs: string[]): Promise<void> | void {
    const upload = liveUpload(decodeSegment(segs[0]));
    const file = upload?.files.get(decodeSegment(segs[1]) ?? "");
    const name = decodeSegment(segs.slice(2).join("/"));
    // The name is part of a Plik download URL and must match the stored one. A name with `"`, CR
    // or LF arrives WHATWG-escaped in the multipart header, so accept the escaped spelling too.
    if (!upload || !file || file.downloading || name === undefined || (name !== file.name && whatwgUnescape(name) !== file.name)) {
      throw new HttpError(404, "file not found");
    }
    const headers = {
      ...CORS_HEADERS,
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
      rs.once("open", () => res.writeHead(200, headers));
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
        counters.downloads++;
        if (upload.oneShot) {
          upload.files.delete(file.id);
          void unlink(file.path)
            .catch(() => undefined)
            .then(resolve);
        } else resolve();
      });
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "OPTIONS") {
      res.writeHead(204, PREFLIGHT_HEADERS);
      res.end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    // Split before decoding: an encoded '/' (%2F) inside a file name must stay part of that name.
    const segs = path.split("/").filter((s, i) => i > 0 || s !== "");
    if (segs[0] === "upload" && segs.length === 1) {
      if (method !== "POST") throw new HttpError(405, "method not allowed");
      return createUpload(req, res);
    }
    if (segs[0] === "file" && segs.length === 2 && method === "POST") {
      return addFile(req, res, decodeSegment(segs[1]));
    }
    if (segs[0] === "file" && segs.length >= 4 && (method === "GET" || method === "HEAD")) {
      return getFile(req, res, segs.slice(1));
    }
    if (segs[0] === "file") throw new HttpError(method === "GET" || method === "HEAD" || method === "POST" ? 404 : 405, "not found");
    throw new HttpError(404, "not found");
  }

  const server: Server = createServer((req, res) => {
    if (closing) {
      sendError(res, 503, "server closing");
      return;
    }
    void track(
      (async () => {
        try {
          await handle(req, res);
        } catch (e) {
          if (e instanceof HttpError) sendError(res, e.status, e.message);
          else sendError(res, 500, e instanceof Error ? e.message : String(e));
        }
      })(),
    );
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Errors after listening (e.g. a socket reset) must not crash the host process.
  server.on("error", () => undefined);

  const port = (server.address() as AddressInfo).port;
  // A wildcard bind is reachable on loopback; a URL needs a concrete host.
  const urlHost = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  const url = `http://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    dir,
    stats: () => ({ ...counters }),
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(sweep);
        const stopped = new Promise<void>((r) => server.close(() => r()));
        // server.close() alone waits for keep-alive connections to time out; close() must be prompt.
        for (const s of sockets) s.destroy();
        await stopped;
        await Promise.allSettled([...inflight]);
        if (ownsDir) await rm(dir, { recursive: true, force: true });
        else await Promise.all([...uploads.values()].map(dropUpload));
        uploads.clear();
      })();
      return closed;
    },
  };
}
