/**
 * A development file server for Node speaking the subset of the Plik HTTP API that
 * natsbridge's claim-check transport uses (see docs/wire-format.md, "File server").
 *
 * It is meant for tests, demos and local development: state lives in memory, files live in a
 * directory on disk, and nothing is authenticated beyond Plik's per-upload token.
 * Only `node:` built-ins are used so `natsbridge/fileserver` adds no dependencies.
 *
 * This file is the lifecycle (listen, timeouts, close, stats); the routes are in routes.ts, the
 * upload store in store.ts, multipart parsing in multipart.ts, options and defaults in options.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { applyCors } from "./cors.js";
import { baseUrl, HttpError, listen, sendError } from "./http.js";
import { resolveOptions, type FileServerOptions, type ResolvedOptions } from "./options.js";
import { route, type RouteContext } from "./routes.js";
import { trackShutdown } from "./shutdown.js";
import { UploadStore } from "./store.js";

export type { FileServerCorsOptions, FileServerOptions, FileServerTimeouts } from "./options.js";
export { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOADS, DEFAULT_TIMEOUTS } from "./options.js";

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

/** How long a refused body is still read (and discarded) after the answer went out. */
const LINGER_MS = 1000;

/**
 * Answer with an error. A body not read to its end is not read much further: after the answer the
 * server half-closes the connection and discards what still comes for at most LINGER_MS, then cuts
 * it, instead of Node draining an oversized upload to its end. (Closing at once would make the
 * kernel reset the connection over the unread bytes, and a reset can destroy the answer before the
 * client reads it: the "lingering close" of RFC 9112 §9.6.)
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if (!req.complete && !res.headersSent) {
    res.once("finish", () => {
      const socket = req.socket;
      socket.end();
      req.resume();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
  }
  sendError(res, status, message);
}

/**
 * Node's HTTP server with the dev server's timeouts: a connection that dribbles its headers, goes
 * silent mid-body or stops reading a download is cut, so it cannot hold a descriptor for long.
 */
function createTimedServer(timeouts: ResolvedOptions["timeouts"], handler: Parameters<typeof createServer>[1]): Server {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // Node enforces the two limits above on this sweep (default every 30 s), so a short limit
      // needs a sweep at least as frequent.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, timeouts.headersMs)),
    },
    handler,
  );
  // Socket inactivity; an upload answers 408 on it (receive-file.ts), anything else is cut.
  server.timeout = timeouts.idleMs;
  return server;
}

/** Start the development file server; resolves once it is listening. */
export async function startFileServer(opts: FileServerOptions = {}): Promise<FileServer> {
  const o = resolveOptions(opts);
  const ownsDir = o.dir === undefined;
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), "natsbridge-files-")));
  if (!ownsDir) await mkdir(dir, { recursive: true });

  const store = new UploadStore(dir, { maxUploads: o.maxUploads, emptyUploadMs: o.timeouts.emptyUploadMs });
  const ctx: RouteContext = {
    store,
    maxUploadBytes: o.maxUploadBytes,
    counters: { uploads: 0, downloads: 0 },
    closing: () => shutdown.closing,
  };

  const server = createTimedServer(o.timeouts, (req, res) => {
    if (!applyCors(req, res, o.allowOrigin)) {
      refuse(req, res, 403, "origin not allowed");
      return;
    }
    if (shutdown.closing) {
      refuse(req, res, 503, "server closing");
      return;
    }
    const handled = (async () => {
      try {
        await route(ctx, req, res);
      } catch (e) {
        if (e instanceof HttpError) refuse(req, res, e.status, e.message);
        else refuse(req, res, 500, e instanceof Error ? e.message : String(e));
      }
    })();
    shutdown.track(handled);
  });
  const shutdown = trackShutdown(server);

  await listen(server, o.port, o.host);
  // Errors after listening (e.g. a socket reset) must not crash the host process.
  server.on("error", () => undefined);
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl(o.host, port),
    port,
    dir,
    stats: () => ({ ...ctx.counters }),
    close() {
      closed ??= (async () => {
        await shutdown.close();
        await store.close();
        if (ownsDir) await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
