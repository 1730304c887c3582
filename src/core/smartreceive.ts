import { asBytes } from "./bytes.js";
import { bulkOnlyInDirectData, decodeText, parseJsonBytes, parseJsonText, type BulkParse } from "./bulk-json.js";
import { decodeBase64Strict } from "./base64.js";
import { parseEnvelope, payloadTypeOf, type ParsedPayload } from "./envelope.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import { makeTrace, type Trace } from "./log.js";
import type { Runtime } from "./runtime.js";
import { getSerializer, type Serializer } from "./serializers/registry.js";
import type { DownloadHandler, ReceivedEnvelope, ReceivedTuple, SmartreceiveOptions, WireEnvelope } from "./types.js";

export interface ReceiveContext {
  runtime: Runtime;
  defaultDownload: DownloadHandler;
  logFlag: () => string | undefined;
  /** The bytes-to-bytes base64 decoder for long payloads (the WebAssembly codec), or null without one. */
  decodeBase64Bytes: () => ((ascii: Uint8Array) => Uint8Array | null) | null;
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

/** The message as JSON text, or the object itself when it was handed over already parsed. */
function messageText(msg: unknown, raw: Uint8Array | null): string | object {
  if (typeof msg === "string") return msg;
  if (raw) return decodeText(raw);
  if (typeof msg === "object" && msg !== null && !Array.isArray(msg)) return msg;
  throw new NatsBridgeError("INVALID_ENVELOPE", "smartreceive needs a NATS message, bytes, a JSON string or an envelope object");
}

function decodeInput(input: string | object, plain = false): BulkParse {
  return typeof input === "string" ? parseJsonText(input, plain) : { value: input, bulk: new Map() };
}

const indexOfByteDefault = (b: Uint8Array, byte: number, from: number) => b.indexOf(byte, from);

const posInt = (v: unknown, name: string, dflt: number): number => {
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

/** Everything that can be judged without the network is judged first, so a bad envelope costs no downloads. */
function check(p: ParsedPayload, i: number, decode: (b64: string) => Uint8Array, bulk: Map<string, string | Uint8Array>): Checked {
  // Only an error message needs it; building it for every payload showed up in profiles.
  const where = () => `payload ${i} (${JSON.stringify(p.dataname)})`;
  const payload_type = payloadTypeOf(p);
  if (payload_type === undefined) throw new NatsBridgeError("INVALID_ENVELOPE", `${where()} has no payload_type`);
  const serializer = getSerializer(payload_type);
  if (p.transport === "direct") {
    if (p.encoding != null && p.encoding !== "base64") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: direct transport needs encoding "base64", got ${JSON.stringify(p.encoding)}`);
    // A Map lookup hashes the whole key: for an envelope with nothing cut out, skip hashing kilobytes of base64.
    const cut = bulk.size > 0 ? bulk.get(p.data) : undefined;
    const bytes = cut instanceof Uint8Array ? cut : decodeBase64Strict(cut ?? p.data, decode);
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
    // Only plain web downloads: file:, data:, javascript: and friends must never be fetched on a peer's say-so.
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new NatsBridgeError("INVALID_ENVELOPE", `${where()}: refusing ${url.protocol} link URL`);
    return { p, payload_type, serializer };
  }
  throw new NatsBridgeError("INVALID_TRANSPORT", `${where()}: unknown transport ${JSON.stringify(p.transport)}`);
}

type Settings = Required<Pick<SmartreceiveOptions, "max_retries" | "base_delay" | "max_delay">> & { download: DownloadHandler; trace: Trace };

/** The payload's value; synchronous for a direct payload with a synchronous serializer (the common case). */
function materialize(c: Checked, o: Settings, correlation_id: string): ReceivedTuple | Promise<ReceivedTuple> {
  const { p } = c;
  const decoded = (bytes: Uint8Array): ReceivedTuple | Promise<ReceivedTuple> => {
    const done = (value: unknown) => [p.dataname, value, c.payload_type] as ReceivedTuple;
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

export async function smartreceive(ctx: ReceiveContext, msg: IncomingMessage, options: SmartreceiveOptions = {}): Promise<ReceivedEnvelope> {
  const o = options ?? {};
  const raw = rawBytes(msg);
  const fromBytes = raw ? parseJsonBytes(raw, ctx.decodeBase64Bytes(), ctx.runtime.indexOfByte ?? indexOfByteDefault) : null;
  let input: string | object | undefined;
  let { value, bulk } = fromBytes ?? decodeInput((input = messageText(msg, raw)));
  let env = parseEnvelope(value);
  if (bulk.size > 0 && !bulkOnlyInDirectData(env.payloads, bulk)) {
    ({ value, bulk } = decodeInput(input ?? messageText(msg, raw), true));
    env = parseEnvelope(value);
  }
  const correlation_id = env.correlation_id;
  try {
    const trace = makeTrace(o.log, ctx.logFlag);
    const download = o.fileserver_download_handler ?? ctx.defaultDownload;
    if (typeof download !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_download_handler must be a function");
    const settings = {
      max_retries: posInt(o.max_retries, "max_retries", 5),
      base_delay: posInt(o.base_delay, "base_delay", 100),
      max_delay: posInt(o.max_delay, "max_delay", 5000),
      download,
      trace,
    };
    trace(correlation_id, "Processing received message");
    const checked = env.payloads.map((p, i) => check(p, i, ctx.runtime.base64Decode, bulk));
    const results = checked.map((c) => materialize(c, settings, correlation_id));
    const payloads = results.some((r) => r instanceof Promise) ? await Promise.all(results) : (results as ReceivedTuple[]);
    // env is this call's own fresh object (from the schema or the canonical check): reuse it.
    const received = env as unknown as ReceivedEnvelope;
    received.payloads = payloads;
    return received;
  } catch (e) {
    throw withCorrelation(e, "DESERIALIZATION_ERROR", "smartreceive failed", correlation_id);
  }
}
