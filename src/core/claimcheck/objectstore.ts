/**
 * The claim-check in a JetStream Object Store bucket instead of an HTTP file server (issue 10).
 * The sender puts a link payload's bytes into the bucket; the envelope carries
 * `natsobj://<bucket>/<object>?digest=SHA-256%3D…` (docs/wire-format.md); every receiver reads the
 * object through its own NATS connection. Objects outlive a read, so fan-out works; they expire
 * with the bucket's TTL. The store checks its SHA-256 digest of the chunks while reading; the link's
 * digest ties the object to the envelope that named it (a replaced object is refused).
 */
import type { ByteSource } from "../byte-source.js";
import { concatBytes } from "../bytes.js";
import { NatsBridgeError } from "../errors.js";
import { resolveConnection, type ConnectionSource, type JetStreamConnectionLike, type ObjectInfoLike, type ObjectStoreLike } from "../jetstream/api.js";
import { isTransient, retryTransient, type RetryBudget } from "../jetstream/retry.js";
import type { DownloadHandler, UploadHandler, UploadResult } from "../types.js";
import { uuidv4 } from "../uuid.js";
import type { ClaimsSchemes } from "./schemes.js";

export const OBJECT_LINK_SCHEME = "natsobj:";
export const DEFAULT_BUCKET = "natsbridge";
export const DEFAULT_OBJECT_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_READ_TIMEOUT_MS = 30_000;
// Covers a leader election (a few seconds after a node is lost) with room to spare.
const UPLOAD_BUDGET: RetryBudget = { attempts: 8, base_delay: 250, max_delay: 2_000 };

export interface ObjectStoreClaimOptions {
  /** The NATS connection (nats or nats.ws) the objects are written and read through, or a function giving it. */
  connection: ConnectionSource;
  /** Bucket the upload handler writes to (default "natsbridge"). */
  bucket?: string;
  /** How long objects live, in ms (the bucket stream's max_age); 0 keeps them. Default 24 h. Applies when the bucket is created. */
  ttl_ms?: number;
  /** Copies of each object in a cluster (the bucket stream's num_replicas). Default 1. */
  replicas?: number;
  /** The bucket's capacity in bytes; uploads beyond it fail. Default: unlimited. */
  max_bytes?: number;
  /** "file" (default) or "memory" storage for a bucket this handler creates. */
  storage?: "file" | "memory";
  /** Create the bucket on first upload when it does not exist (default true); downloads never create one. */
  create?: boolean;
  /** Buckets the download handler reads from; a link naming any other is refused. Default: [bucket]. */
  buckets?: readonly string[];
  /** Larger objects are refused before they are read (bounded memory). Default: unlimited. */
  max_object_bytes?: number;
  /** Per JetStream request, ms (default 5000). */
  timeout_ms?: number;
  /** Reading one object, ms (default 30000): a read that stalls is retried, then fails. */
  read_timeout_ms?: number;
  /** Handles http(s) links (e.g. the bridge's fetchWithBackoff); without it they fail with DOWNLOAD_FAILED. */
  fallback?: DownloadHandler;
}

export interface ObjectStoreClaims {
  /** Upload handler: puts the bytes into the bucket, returns the `natsobj:` link. */
  upload: UploadHandler & ClaimsSchemes;
  /** Download handler: reads `natsobj:` links (claims the scheme, so smartreceive accepts them). */
  download: DownloadHandler & ClaimsSchemes;
  bucket: string;
  /** Make sure the bucket exists (created when allowed); resolves with its stream name. */
  ensureBucket(): Promise<string>;
  /** The bucket itself (nats.js ObjectStore), bound on the current connection; created when allowed. */
  objectStore(): Promise<ObjectStoreLike>;
}

export interface ObjectLink {
  bucket: string;
  name: string;
  digest?: string;
}

// The Object Store's own rules: bucket names are [-\w]+ (they become a stream name and subject
// tokens); digests are "SHA-256=" and 32 bytes in padded base64url.
const BUCKET_NAME = /^[-\w]+$/;
const DIGEST = /^SHA-256=[A-Za-z0-9_-]{43}=$/;
const MAX_OBJECT_NAME = 1024;

export const bucketStreamName = (bucket: string) => `OBJ_${bucket}`;

/** `natsobj://<bucket>/<object name, percent-encoded>?digest=<SHA-256=…, percent-encoded>`. */
export function objectLink(link: ObjectLink): string {
  const q = link.digest ? `?digest=${encodeURIComponent(link.digest)}` : "";
  return `natsobj://${link.bucket}/${encodeURIComponent(link.name)}${q}`;
}

/** The bucket, object and digest a link names; INVALID_ENVELOPE for anything else. */
export function parseObjectLink(url: string, correlation_id?: string): ObjectLink {
  const bad = (why: string) => new NatsBridgeError("INVALID_ENVELOPE", `not an Object Store link (${why}): ${url.slice(0, 200)}`, { correlation_id });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad("not a URL");
  }
  if (u.protocol !== OBJECT_LINK_SCHEME) throw bad(`scheme ${u.protocol}`);
  if (u.username || u.password || u.port || u.hash) throw bad("credentials, port or fragment");
  const bucket = u.hostname;
  if (!BUCKET_NAME.test(bucket)) throw bad("bucket name");
  const encoded = u.pathname.slice(1);
  if (!u.pathname.startsWith("/") || encoded === "" || encoded.includes("/")) throw bad("the path must be one object name");
  let name: string;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    throw bad("object name is not valid percent-encoding");
  }
  if (name.length > MAX_OBJECT_NAME) throw bad("object name too long");
  const keys = [...u.searchParams.keys()];
  if (keys.some((k) => k !== "digest") || keys.length > 1) throw bad("unknown query parameters");
  const digest = u.searchParams.get("digest") ?? undefined;
  if (digest !== undefined && !DIGEST.test(digest)) throw bad("digest");
  return digest === undefined ? { bucket, name } : { bucket, name, digest };
}

const notFoundError = (e: unknown) => String((e as { code?: unknown })?.code) === "404" || /not found/i.test(String((e as Error)?.message));

/** A DOWNLOAD_FAILED that no retry or redelivery can fix (the consume helper terms on it). */
const finalFailure = (message: string, reason: string, details: Record<string, unknown>, correlation_id?: string) =>
  new NatsBridgeError("DOWNLOAD_FAILED", message, { correlation_id, details: { ...details, reason, retryable: false } });

/** A timeout is transient: the read is tried again within the budget. */
const timeoutError = (what: string) => Object.assign(new Error(`${what} timed out`), { code: "TIMEOUT" });

export function createObjectStoreClaims(opts: ObjectStoreClaimOptions): ObjectStoreClaims {
  if (!opts || (typeof opts.connection !== "object" && typeof opts.connection !== "function") || opts.connection === null) {
    throw new NatsBridgeError("INVALID_OPTIONS", "createObjectStoreClaims needs a connection (a nats or nats.ws connection, or a function giving one)");
  }
  const bucket = opts.bucket ?? DEFAULT_BUCKET;
  const readable = opts.buckets ?? [bucket];
  for (const b of [bucket, ...readable]) {
    if (typeof b !== "string" || !BUCKET_NAME.test(b)) throw new NatsBridgeError("INVALID_OPTIONS", `bucket names are letters, digits, "-" and "_", got ${JSON.stringify(b)}`);
  }
  const positive = (v: number | undefined, name: string, dflt: number) => {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !(v >= 0)) throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a non-negative number`);
    return v;
  };
  const ttl_ms = positive(opts.ttl_ms, "ttl_ms", DEFAULT_OBJECT_TTL_MS);
  const replicas = positive(opts.replicas, "replicas", 1);
  const timeout = positive(opts.timeout_ms, "timeout_ms", DEFAULT_TIMEOUT_MS);
  const readTimeout = positive(opts.read_timeout_ms, "read_timeout_ms", DEFAULT_READ_TIMEOUT_MS);
  const maxObject = positive(opts.max_object_bytes, "max_object_bytes", Infinity);
  const create = opts.create ?? true;

  // nats@2.29's Object Store init copies a `replicas` option into the stream config verbatim and
  // nats-server 2.15 refuses the unknown field (issue 10): the bucket's stream is made here, with
  // num_replicas, and views.os only binds to it.
  const streamConfig = () => ({
    name: bucketStreamName(bucket),
    subjects: [`$O.${bucket}.C.>`, `$O.${bucket}.M.>`],
    max_age: ttl_ms * 1_000_000, // nanoseconds
    num_replicas: Math.max(1, Math.floor(replicas)),
    max_bytes: opts.max_bytes ?? -1,
    storage: opts.storage ?? "file",
    discard: "new",
    allow_direct: true,
    allow_rollup_hdrs: true,
  });

  const bound = new Map<string, { nc: JetStreamConnectionLike; store: Promise<ObjectStoreLike> }>();
  async function store(name: string, mayCreate: boolean): Promise<ObjectStoreLike> {
    const nc = await resolveConnection(opts.connection);
    const cached = bound.get(name);
    if (cached && cached.nc === nc && !nc.isClosed?.()) return cached.store;
    const p = bind(nc, name, mayCreate);
    bound.set(name, { nc, store: p });
    // A failed bind is not cached: the next call tries again (an election may have ended).
    p.catch(() => bound.get(name)?.store === p && bound.delete(name));
    return p;
  }

  async function bind(nc: JetStreamConnectionLike, name: string, mayCreate: boolean): Promise<ObjectStoreLike> {
    const jsm = await nc.jetstreamManager({ timeout, checkAPI: false });
    try {
      await jsm.streams.info(bucketStreamName(name));
    } catch (e) {
      if (!notFoundError(e)) throw e;
      if (!mayCreate) throw finalFailure(`Object Store bucket ${JSON.stringify(name)} does not exist`, "no_bucket", { bucket: name });
      try {
        await jsm.streams.add(streamConfig());
      } catch (e2) {
        // Another process created it in the meantime: fine if it is there now.
        await jsm.streams.info(bucketStreamName(name)).catch(() => Promise.reject(e2));
      }
    }
    return nc.jetstream({ timeout }).views.os(name);
  }

  const upload = async (_fileserver_url: string, dataname: string, data: Uint8Array | ByteSource): Promise<UploadResult> => {
    const name = uuidv4();
    let info: ObjectInfoLike;
    try {
      // Bytes can be put again after a leader election; a stream (issue 9) is read once, in chunks.
      info =
        data instanceof Uint8Array
          ? await retryTransient(async () => (await store(bucket, create)).putBlob({ name, description: dataname }, data, { timeout }), UPLOAD_BUDGET)
          : await (await retryTransient(() => store(bucket, create), UPLOAD_BUDGET)).put({ name, description: dataname }, data.stream(), { timeout });
    } catch (e) {
      if (e instanceof NatsBridgeError && e.code === "UPLOAD_FAILED") throw e;
      throw new NatsBridgeError("UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} to Object Store bucket ${JSON.stringify(bucket)} failed: ${(e as Error)?.message ?? e}`, {
        cause: e,
        details: { bucket, dataname },
      });
    }
    return { status: 200, url: objectLink({ bucket, name: info.name, digest: info.digest }) };
  };

  async function readObject(link: ObjectLink, correlation_id: string): Promise<Uint8Array> {
    const details = { bucket: link.bucket, object: link.name };
    const os = await store(link.bucket, false);
    const info = await os.info(link.name);
    if (!info || info.deleted) throw finalFailure(`object ${JSON.stringify(link.name)} is not in bucket ${JSON.stringify(link.bucket)} (expired or deleted)`, "not_found", details, correlation_id);
    // An Object Store link object would send the read on to another bucket, past the allow-list.
    if ((info as { options?: { link?: unknown } }).options?.link) throw finalFailure(`object ${JSON.stringify(link.name)} is an Object Store link; not followed`, "link_object", details, correlation_id);
    if (link.digest !== undefined && info.digest !== link.digest) {
      throw finalFailure(`object ${JSON.stringify(link.name)} has digest ${info.digest}, the link says ${link.digest}`, "digest_mismatch", details, correlation_id);
    }
    if (info.size > maxObject) throw finalFailure(`object ${JSON.stringify(link.name)} is ${info.size} bytes, more than max_object_bytes ${maxObject}`, "too_large", details, correlation_id);
    const got = await os.get(link.name);
    if (!got) throw finalFailure(`object ${JSON.stringify(link.name)} vanished while being read`, "not_found", details, correlation_id);
    if (got.info.digest !== info.digest) throw finalFailure(`object ${JSON.stringify(link.name)} was replaced while being read`, "digest_mismatch", details, correlation_id);
    return readAll(got.data, info.size, link, correlation_id);
  }

  /** The object's chunks, at most `size` bytes, within read_timeout_ms; the store checks the digest at the end. */
  async function readAll(stream: ReadableStream<Uint8Array>, size: number, link: ObjectLink, correlation_id: string): Promise<Uint8Array> {
    const details = { bucket: link.bucket, object: link.name };
    const reader = stream.getReader();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reader.cancel().catch(() => undefined);
    }, readTimeout);
    // Chunks as they come, not a buffer of the size the info claims: memory follows the bytes
    // that really arrive, whatever a tampered info says.
    const parts: Uint8Array[] = [];
    let at = 0;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          // The store's verdict: its SHA-256 of the chunks does not match the object's digest.
          if (/digest|corrupt/i.test(String((e as Error)?.message))) {
            throw finalFailure(`object ${JSON.stringify(link.name)} failed the store's digest check`, "digest_mismatch", details, correlation_id);
          }
          throw e;
        }
        if (timedOut) throw timeoutError(`reading object ${JSON.stringify(link.name)}`);
        if (r.done) break;
        if (at + r.value.byteLength > size) {
          await reader.cancel().catch(() => undefined);
          throw finalFailure(`object ${JSON.stringify(link.name)} holds more than the ${size} bytes its info says`, "size_mismatch", details, correlation_id);
        }
        parts.push(r.value);
        at += r.value.byteLength;
      }
    } finally {
      clearTimeout(timer);
    }
    if (at !== size) throw finalFailure(`object ${JSON.stringify(link.name)} ended after ${at} of ${size} bytes`, "size_mismatch", details, correlation_id);
    return concatBytes(parts, at); // a fresh copy: never the client's Buffer or a view into its read buffer
  }

  const download = async (url: string, max_retries = 5, base_delay = 100, max_delay = 5000, correlation_id = ""): Promise<Uint8Array> => {
    if (/^https?:\/\//i.test(url)) {
      if (opts.fallback) return asUint8(await opts.fallback(url, max_retries, base_delay, max_delay, correlation_id));
      throw finalFailure(`an http(s) link reached the Object Store download handler, which has no fallback`, "no_fallback", { url }, correlation_id);
    }
    const link = parseObjectLink(url, correlation_id);
    if (!readable.includes(link.bucket)) {
      throw new NatsBridgeError("INVALID_ENVELOPE", `link names bucket ${JSON.stringify(link.bucket)}, not one this receiver reads (${readable.join(", ")})`, { correlation_id });
    }
    try {
      return await retryTransient(() => readObject(link, correlation_id), { attempts: max_retries, base_delay, max_delay });
    } catch (e) {
      if (e instanceof NatsBridgeError) throw e;
      throw new NatsBridgeError("DOWNLOAD_FAILED", `reading object ${JSON.stringify(link.name)} from bucket ${JSON.stringify(link.bucket)} failed: ${(e as Error)?.message ?? e}`, {
        correlation_id,
        cause: e,
        details: { bucket: link.bucket, object: link.name, reason: isTransient(e) ? "unavailable" : "failed" },
      });
    }
  };

  return {
    upload: Object.assign(upload, { schemes: [OBJECT_LINK_SCHEME] }),
    download: Object.assign(download, { schemes: [OBJECT_LINK_SCHEME, ...((opts.fallback as ClaimsSchemes | undefined)?.schemes ?? [])] }),
    bucket,
    ensureBucket: async () => {
      await store(bucket, create);
      return bucketStreamName(bucket);
    },
    objectStore: () => store(bucket, create),
  };
}

const asUint8 = (b: Uint8Array | ArrayBuffer) => (b instanceof Uint8Array ? b : new Uint8Array(b));
