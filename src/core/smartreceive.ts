import { asBytes } from "./bytes.js";
import { claimsProtocol } from "./claimcheck/schemes.js";
import { bulkOnlyInDirectData, type BulkParse } from "./bulk-json.js";
import type { Codec } from "./codec.js";
import { parseEnvelope, payloadTypeOf, type ParsedEnvelope, type ParsedPayload } from "./envelope.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import { makeTrace, type LogSink, type Trace } from "./log.js";
import type { Serializer, SerializerRegistry } from "./serializers/registry.js";
import type { DownloadHandler, ReceivedEnvelope, ReceivedTuple, SmartreceiveOptions } from "./types.js";

/**
 * smartreceive as stages: decodeMessage (bytes → JSON value → checked envelope) → checkPayload
 * (everything that can be judged without the network, for every payload, before any download) →
 * materialize (decode or download, then deserialize).
 */

/** What a bridge gives smartreceive: its plug points. */
export interface ReceiveContext {
  codec: Codec;
  serializers: SerializerRegistry;
  defaultDownload: DownloadHandler;
  logSink: LogSink;
  logFlag: () => string | undefined;
}

/** A NATS message (anything with `data: Uint8Array`), raw bytes, a JSON string, or an already parsed object. */
export type IncomingMessage = { data: Uint8Array } | Uint8Array | ArrayBuffer | string | Record<string, unknown>;

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
    const bytes = cut instanceof Uint8Array ? cut : codec.decodeBase64(cut ?? p.data);
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
    return { p, payload_type, serializer };
  }
  throw new NatsBridgeError("INVALID_TRANSPORT", `${where()}: unknown transport ${JSON.stringify(p.transport)}`);
}

interface Settings {
  max_retries: number;
  base_delay: number;
  max_delay: number;
  download: DownloadHandler;
  trace: Trace;
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
  return download(c, o, correlation_id).then(decoded);
}

async function download(c: Checked, o: Settings, correlation_id: string): Promise<Uint8Array> {
  const { p } = c;
  o.trace(correlation_id, () => `Link transport - fetching '${p.dataname}' from URL: ${p.data}`);
  let got: unknown;
  try {
    got = await o.download(p.data, o.max_retries, o.base_delay, o.max_delay, correlation_id);
  } catch (e) {
    throw withCorrelation(e, "DOWNLOAD_FAILED", `download of ${JSON.stringify(p.dataname)} failed`, correlation_id);
  }
  const b = asBytes(got);
  if (!b) throw new NatsBridgeError("DOWNLOAD_FAILED", `download handler returned no bytes for ${JSON.stringify(p.dataname)}`);
  if (p.size != null && p.size !== b.byteLength) {
    throw new NatsBridgeError("DOWNLOAD_FAILED", `downloaded ${b.byteLength} bytes for ${JSON.stringify(p.dataname)} but size says ${p.size}`);
  }
  return b;
}

export async function smartreceive(ctx: ReceiveContext, msg: IncomingMessage, o: SmartreceiveOptions): Promise<ReceivedEnvelope> {
  let correlation_id: string | undefined;
  try {
    const { env, bulk } = decodeMessage(ctx.codec, msg);
    correlation_id = env.correlation_id;
    const trace = makeTrace(o.log, ctx.logFlag, ctx.logSink);
    const download = o.fileserver_download_handler ?? ctx.defaultDownload;
    if (typeof download !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_download_handler must be a function");
    const settings: Settings = {
      max_retries: nonNegative(o.max_retries, "max_retries", 5),
      base_delay: nonNegative(o.base_delay, "base_delay", 100),
      max_delay: nonNegative(o.max_delay, "max_delay", 5000),
      download,
      trace,
    };
    trace(correlation_id, "Processing received message");
    const checked = env.payloads.map((p, i) => checkPayload(p, i, ctx.codec, ctx.serializers, bulk, download));
    const results = checked.map((c) => materialize(c, settings, correlation_id!));
    const payloads = results.some((r) => r instanceof Promise) ? await Promise.all(results) : (results as ReceivedTuple[]);
    // env is this call's own object (decodeMessage copies a caller's): only the payloads are replaced.
    const received = env as unknown as ReceivedEnvelope;
    received.payloads = payloads;
    return received;
  } catch (e) {
    // Coded errors pass (with the correlation id once known); anything else is a bug, not bad data.
    throw withCorrelation(e, "INTERNAL_ERROR", "smartreceive failed", correlation_id);
  }
}
