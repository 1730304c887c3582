/**
 * Options of the dev file server and their defaults. It is the embedded default server, so people
 * run it as it comes: every limit is on unless the user lifts it (issue 8, "Dev file server").
 */

export interface FileServerCorsOptions {
  /**
   * Browser origins (`scheme://host:port`, as in the `Origin` header) allowed to upload and
   * download, or a predicate deciding per origin. Requests that carry any other `Origin` are
   * refused with 403 and get no CORS headers.
   */
  origins: readonly string[] | ((origin: string) => boolean);
}

export interface FileServerTimeouts {
  /** Time for a request's headers to arrive completely. Default 10 000 ms. */
  headersMs?: number;
  /** Longest silence on a connection while a request is read or an answer written; 0 turns it off. Default 10 000 ms. */
  idleMs?: number;
  /** Time for a whole request (headers and body) to arrive; 0 turns it off. Default 300 000 ms. */
  requestMs?: number;
  /** An upload that has no file (none posted yet, or its one-shot file was downloaded) is removed after this long. Default 60 000 ms. */
  emptyUploadMs?: number;
}

export interface FileServerOptions {
  /** Interface to bind; loopback by default so a dev server is never reachable from the network. */
  host?: string;
  /** TCP port; 0 (default) lets the OS pick a free one. */
  port?: number;
  /** Where files are stored. Default: a fresh temporary directory, removed by `close()`. */
  dir?: string;
  /** Largest accepted file, in bytes (multipart overhead not counted); 413 beyond. Default 100 MiB; `Infinity` lifts it. */
  maxUploadBytes?: number;
  /** Most uploads held at once (`POST /upload` makes one; expiry and the empty-upload timeout free it); 507 beyond. Default 1000. */
  maxUploads?: number;
  /** Which browser pages may use the server. Default: none (no CORS headers, requests with an `Origin` refused). */
  cors?: FileServerCorsOptions;
  timeouts?: FileServerTimeouts;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
export const DEFAULT_MAX_UPLOADS = 1000;
export const DEFAULT_TIMEOUTS: Required<FileServerTimeouts> = {
  headersMs: 10_000,
  idleMs: 10_000,
  requestMs: 300_000,
  emptyUploadMs: 60_000,
};

/** The options with every default filled in and every number checked. */
export interface ResolvedOptions {
  host: string;
  port: number;
  dir: string | undefined;
  maxUploadBytes: number;
  maxUploads: number;
  allowOrigin: (origin: string) => boolean;
  timeouts: Required<FileServerTimeouts>;
}

function count(name: string, value: number | undefined, fallback: number, opts: { min: number; infinite?: boolean }): number {
  if (value === undefined) return fallback;
  const ok = typeof value === "number" && value >= opts.min && (Number.isInteger(value) || (opts.infinite === true && value === Infinity));
  if (!ok) throw new TypeError(`startFileServer: ${name} must be an integer >= ${opts.min}${opts.infinite ? " or Infinity" : ""}, got ${String(value)}`);
  return value;
}

/** An allow-list is compared as origins (`new URL(o).origin`), so `http://localhost:5173/` matches the header `http://localhost:5173`. */
function originPolicy(cors: FileServerCorsOptions | undefined): (origin: string) => boolean {
  if (cors === undefined) return () => false;
  const { origins } = cors;
  if (typeof origins === "function") return (o) => origins(o) === true;
  if (!Array.isArray(origins)) throw new TypeError("startFileServer: cors.origins must be an array of origins or a function");
  const allowed = new Set(origins.map(asOrigin));
  return (o) => allowed.has(o);
}

function asOrigin(o: string): string {
  try {
    const origin = new URL(o).origin;
    if (origin !== "null") return origin;
  } catch {
    // reported below
  }
  throw new TypeError(`startFileServer: cors.origins: ${JSON.stringify(o)} is not an origin such as "http://localhost:5173"`);
}

export function resolveOptions(opts: FileServerOptions): ResolvedOptions {
  const t = opts.timeouts ?? {};
  const timeouts = {
    headersMs: count("timeouts.headersMs", t.headersMs, DEFAULT_TIMEOUTS.headersMs, { min: 1 }),
    idleMs: count("timeouts.idleMs", t.idleMs, DEFAULT_TIMEOUTS.idleMs, { min: 0 }),
    requestMs: count("timeouts.requestMs", t.requestMs, DEFAULT_TIMEOUTS.requestMs, { min: 0 }),
    emptyUploadMs: count("timeouts.emptyUploadMs", t.emptyUploadMs, DEFAULT_TIMEOUTS.emptyUploadMs, { min: 1 }),
  };
  // Node refuses a headers timeout longer than a (non-zero) request timeout.
  if (timeouts.requestMs > 0 && timeouts.headersMs > timeouts.requestMs) {
    throw new TypeError("startFileServer: timeouts.headersMs must not exceed timeouts.requestMs");
  }
  return {
    host: opts.host ?? "127.0.0.1",
    port: count("port", opts.port, 0, { min: 0 }),
    dir: opts.dir,
    maxUploadBytes: count("maxUploadBytes", opts.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES, { min: 0, infinite: true }),
    maxUploads: count("maxUploads", opts.maxUploads, DEFAULT_MAX_UPLOADS, { min: 1, infinite: true }),
    allowOrigin: originPolicy(opts.cors),
    timeouts,
  };
}
