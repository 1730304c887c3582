import { asBytes } from "./bytes.js";
import { claimsProtocol } from "./claimcheck/schemes.js";
import { bulkOnlyInDirectData, type BulkParse } from "./bulk-json.js";
import type { Codec } from "./codec.js";
import { parseEnvelope, payloadTypeOf, type ParsedEnvelope, type ParsedPayload } from "./envelope.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import { makeTrace, type LogSink, type Trace } from "./log.js";
import { openDownloadSession, type DownloadSession } from "./claimcheck/download-session.js";
import type { Serializer, SerializerRegistry } from "./serializers/registry.js";
import type { Runtime } from "./runtime.js";
import { SHA256_HEX } from "./integrity.js";
import type { DownloadHandler, ReceivedEnvelope, ReceivedTuple, SmartreceiveOptions, WireEnvelope } from "./types.js";

/**
 * smartreceive as stages: decodeMessage (bytes → JSON value → checked envelope) → checkPayload
 * (everything that can be judged without the network, for every payload, before any download) →
 * materialize (decode or download, then deserialize).
 */

/** What a bridge gives smartreceive: its plug points. */
export interface ReceiveContext {
  runtime: Pick<Runtime, "sha256">;
  codec: Codec;
  serializers: SerializerRegistry;
  defaultDownload: DownloadHandler;
  /** The bridge's file server(s): link origins allowed when the options name none. */
  fileserverUrl: string | readonly string[];
  logSink: LogSink;
  logFlag: () => string | undefined;
}

/**
 * A NATS message (anything with `data: Uint8Array`), raw bytes, a JSON string, or an already parsed
 * object. `WireEnvelope` is named because an interface has no index signature, so the envelope
 * smartsend returns would not fit `Record<string, unknown>` (TS2345, issue 12).
 */
export type IncomingMessage = { data: Uint8Array } | Uint8Array | ArrayBuffer | string | WireEnvelope | Record<string, unknown>;

function rawBytes(msg: unknown): Uint8Array | null {
  return asBytes(msg) ?? (typeof msg === "object" && msg !== null && !Array.isArray(msg) ? asBytes((msg as { data?: unknown }).data) : null);
}

/** Stage 1: the message as a checked envelope, plus long direct data the codec cut out before parsing. */
export function decodeMessage(codec: Codec, msg: IncomingMessage): { env: ParsedEnvelope; bulk: BulkParse["bulk"] } {
  const raw = rawBytes(msg);
  if (raw === null && typeof msg !== "string") {
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      throw new NatsBridgeError("INVALID_ENVELOPE", "smartreceive needs a NATS message, bytes, a JSON string or an envelope object");
    }
    // The caller's own object: checked, and copied rather than changed.
    return { env: parseEnvelope(msg), bulk: new Map() };
  }
  const input = raw ?? (msg as string);
  let { value, bulk } = codec.parse(input);
  let env = parseEnvelope(value, true);
  if (bulk.size > 0 && !bulkOnlyInDirectData(env.payloads, bulk)) {
    // A placeholder landed somewhere other than a direct payload's data: parse the plain way.
    ({ value, bulk } = codec.parse(input, true));
    env = parseEnvelope(value, true);
  }
  return { env, bulk };
}

function readAs(v: unknown): boolean {
  if (v === undefined || v === "bytes") return false;
  if (v === "stream") return true;
  throw new NatsBridgeError("INVALID_OPTIONS", `as must be "bytes" or "stream", got ${JSON.stringify(v)}`);
}

const nonNegative = (v: unknown, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a non-negative number`);
  return v;
};

interface Checked {
  p: ParsedPayload;
  payload_type: string;
  serializer: Serializer;
  bytes?: Uint8Array;
  /** A link's metadata.sha256. */
  sha256?: string;
}

/** Stage 2: everything that can be judged without the network, so a bad envelope costs no downloads. */
export function checkPayload(p: ParsedPayload, i: number, codec: Codec, serializers: SerializerRegistry, bulk: BulkParse["bulk"], download?: DownloadHandler): Checked {
  // Only an error message needs it; building it for every payload showed up in profiles.
  const where = () => `payload ${i} (${JSON.stringify(p.dataname)})`;
  const payload_type = payloadTypeOf(p);
  if (payload_type === undefined) throw new NatsBridgeError("INVALID_ENVELOPE", `${where()} has no payload_type`);
  const serializer = serializers.get(payload_type);
  if (p.transport === "direct") {
    if (p.encoding != null && p.encoding !== "base64") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: direct transport needs encoding "base64", got ${JSON.stringify(p.encoding)}`);
    // A Map lookup hashes the whole key: for an envelope with nothing cut out, skip hashing kilobytes of base64.
    const cut = bulk.size > 0 ? bulk.get(p.data) : undefined;
    // A cut run is raw JSON text and follows JSON's rule for control characters (bulk-json.ts).
    const bytes = cut instanceof Uint8Array ? cut : cut !== undefined ? codec.decodeCutRun(cut) : codec.decodeBase64(p.data);
    if (bytes === null) throw new NatsBridgeError("DESERIALIZATION_ERROR", `${where()}: data is not valid base64`);
    if (p.size != null && p.size !== bytes.byteLength) throw new NatsBridgeError("DESERIALIZATION_ERROR", `${where()}: size says ${p.size} bytes but data holds ${bytes.byteLength}`);
    return { p, payload_type, serializer, bytes };
  }
  if (p.transport === "link") {
    if (p.encoding != null && p.encoding !== "none") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: link transport needs encoding "none", got ${JSON.stringify(p.encoding)}`);
    let url: URL;
    try {
      url = new URL(p.data);
    } catch {
      throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: link data is not a URL`);
    }
    // Only plain web downloads: file:, data:, javascript: and friends must never be fetched on a
    // peer's say-so. Another scheme only when the download handler claims it (claimcheck/schemes.ts).
    if (url.protocol !== "http:" && url.protocol !== "https:" && !claimsProtocol(download, url.protocol)) throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: refusing ${url.protocol} link URL`);
    // A hash that cannot be checked must not pass for one that was.
    const sha256 = p.metadata.sha256;
    if (sha256 !== undefined && (typeof sha256 !== "string" || !SHA256_HEX.test(sha256))) {
      throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: metadata.sha256 must be 64 hex digits`);
    }
    return { p, payload_type, serializer, ...(sha256 !== undefined && { sha256: sha256 as string }) };
  }
  throw new NatsBridgeError("INVALID_TRANSPORT", `${where()}: unknown transport ${JSON.stringify(p.transport)}`);
}

interface Settings {
  max_retries: number;
  base_delay: number;
  max_delay: number;
  trace: Trace;
  /** The message's downloads, when it has links. */
  links?: DownloadSession;
  /** Link payloads of the byte types handed back as streams. */
  as_stream: boolean;
}

/** Stage 3: the payload's value; synchronous for a direct payload with a synchronous serializer (the common case). */
function materialize(c: Checked, o: Settings, correlation_id: string): ReceivedTuple | Promise<ReceivedTuple> {
  const { p } = c;
  const decoded = (bytes: Uint8Array): ReceivedTuple | Promise<ReceivedTuple> => {
    const done = (value: unknown) => [p.dataname, value, c.payload_type] as ReceivedTuple;
    // A deserializer reads bytes a peer chose: whatever it throws is a verdict on those bytes.
    const fail = (e: unknown) => {
      throw withCorrelation(e, "DESERIALIZATION_ERROR", `cannot decode ${c.payload_type} payload ${JSON.stringify(p.dataname)}`, correlation_id);
    };
    let value: unknown;
    try {
      value = c.serializer.deserialize(bytes);
    } catch (e) {
      fail(e);
    }
    return value instanceof Promise ? value.then(done, fail) : done(value);
  };
  if (c.bytes !== undefined) {
    o.trace(correlation_id, () => `Direct transport - decoding payload '${p.dataname}'`);
    return decoded(c.bytes);
  }
  if (o.as_stream && c.serializer.streams) {
    // A byte type is opaque: the stream is the value, read (and checked) at the caller's pace.
    return download(c, o, correlation_id, true).then((stream) => [p.dataname, stream, c.payload_type] as unknown as ReceivedTuple);
  }
  return download(c, o, correlation_id).then((b) => decoded(b as Uint8Array));
}

/** Origins, counts, sizes, time limits and cancelling siblings are the session's (claimcheck/download-session.ts). */
function download(c: Checked, o: Settings, correlation_id: string, as_stream = false): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const { p } = c;
  o.trace(correlation_id, () => `Link transport - fetching '${p.dataname}' from URL: ${p.data}`);
  return o.links!.fetch({ url: p.data, size: p.size, dataname: p.dataname, ...(c.sha256 && { sha256: c.sha256 }), ...(as_stream && { as_stream }) });
}

export async function smartreceive(ctx: ReceiveContext, msg: IncomingMessage, o: SmartreceiveOptions): Promise<ReceivedEnvelope> {
  let correlation_id: string | undefined;
  try {
    const { env, bulk } = decodeMessage(ctx.codec, msg);
    correlation_id = env.correlation_id;
    const trace = makeTrace(o.log, ctx.logFlag, ctx.logSink);
    const handler = o.fileserver_download_handler ?? ctx.defaultDownload;
    if (typeof handler !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_download_handler must be a function");
    const settings: Settings = {
      max_retries: nonNegative(o.max_retries, "max_retries", 5),
      base_delay: nonNegative(o.base_delay, "base_delay", 100),
      max_delay: nonNegative(o.max_delay, "max_delay", 5000),
      trace,
      as_stream: readAs(o.as),
    };
    trace(correlation_id, "Processing received message");
    const checked = env.payloads.map((p, i) => checkPayload(p, i, ctx.codec, ctx.serializers, bulk, handler));
    const links = checked.filter((c) => c.bytes === undefined).map(({ p }) => ({ url: p.data, size: p.size, dataname: p.dataname }));
    const cid = correlation_id;
    if (links.length > 0) {
      // Every link is judged (origin, count, sizes) here, before the first request.
      settings.links = openDownloadSession(links, o, {
        handler, positional: settings, default_fileserver_url: ctx.fileserverUrl, correlation_id: cid, trace, runtime: ctx.runtime,
        ...(o.onProgress && { onProgress: o.onProgress }),
      });
    }
    const start = () => checked.map((c) => materialize(c, settings, cid));
    const results = settings.links ? await settings.links.settle(start) : start();
    const payloads = results.some((r) => r instanceof Promise) ? await Promise.all(results) : (results as ReceivedTuple[]);
    // env is this call's own object (decodeMessage copies a caller's): only the payloads are replaced.
    const received = env as unknown as ReceivedEnvelope;
    received.payloads = payloads;
    return received;
  } catch (e) {
    // The caller gave up: that, not the download it cut short, is what happened.
    if (o.signal?.aborted) throw new NatsBridgeError("ABORTED", "the operation was aborted", { correlation_id, cause: o.signal.reason });
    // Coded errors pass (with the correlation id once known); anything else is a bug, not bad data.
    throw withCorrelation(e, "INTERNAL_ERROR", "smartreceive failed", correlation_id);
  }
}
