/**
 * A development file server for Node speaking the subset of the Plik HTTP API that
 * natsbridge's claim-check transport uses (see docs/wire-format.md, "File server").
 *
 * It is meant for tests, demos and local development: state lives in memory, files live in a
 * directory on disk, and nothing is authenticated beyond Plik's per-upload token.
 * Only `node:` built-ins are used so `natsbridge/fileserver` adds no dependencies.
 *
 * This file is the lifecycle (listen, close, stats); the routes are in routes.ts, the upload
 * store in store.ts, multipart parsing in multipart.ts.
 */
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo, Socket } from "node:net";
import { applyCors } from "./cors.js";
import { HttpError, sendError } from "./http.js";
import { route, type RouteContext } from "./routes.js";
import { UploadStore } from "./store.js";

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

/** Listen on `host:port`; rejects when the port is taken or the address is not local. */
function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The URL clients use: a wildcard bind is reachable on loopback, and a URL needs a concrete host. */
function baseUrl(host: string, port: number): string {
  const urlHost = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${port}`;
}

/** Start the development file server; resolves once it is listening. */
export async function startFileServer(opts: FileServerOptions = {}): Promise<FileServer> {
  const host = opts.host ?? "127.0.0.1";
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "natsbridge-files-")));
  if (!ownsDir) await mkdir(dir, { recursive: true });

  const store = new UploadStore(dir);
  const inflight = new Set<Promise<unknown>>();
  const sockets = new Set<Socket>();
  let closing = false;
  const ctx: RouteContext = {
    store,
    maxUploadBytes: opts.maxUploadBytes ?? Infinity,
    counters: { uploads: 0, downloads: 0 },
    closing: () => closing,
  };

  const server: Server = createServer((req, res) => {
    applyCors(res);
    if (closing) {
      sendError(res, 503, "server closing");
      return;
    }
    const handled = (async () => {
      try {
        await route(ctx, req, res);
      } catch (e) {
        if (e instanceof HttpError) sendError(res, e.status, e.message);
        else sendError(res, 500, e instanceof Error ? e.message : String(e));
      }
    })();
    inflight.add(handled);
    void handled.then(() => inflight.delete(handled));
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  await listen(server, opts.port ?? 0, host);
  // Errors after listening (e.g. a socket reset) must not crash the host process.
  server.on("error", () => undefined);
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: baseUrl(host, port),
    port,
    dir,
    stats: () => ({ ...ctx.counters }),
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        // server.close() alone waits for keep-alive connections to time out; close() must be prompt.
        for (const s of sockets) s.destroy();
        await stopped;
        await Promise.allSettled([...inflight]);
        await store.close();
        if (ownsDir) await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
