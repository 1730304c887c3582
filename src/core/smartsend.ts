import { linkUrlAllowed } from "./claimcheck/schemes.js";
import { isoNow } from "./clock.js";
import type { Codec } from "./codec.js";
import type { ConnectionCache } from "./connections.js";
import { buildEnvelope, linkPayload, type EnvelopeHeader, type Transport, type WireEnvelope, type WirePayload } from "./envelope.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import { JsonTooDeepError, walkJson } from "./json-walk.js";
import { publishJetStream, readJetStreamOption, type JetStreamSettings } from "./jetstream/publish.js";
import { makeTrace, type LogSink, type Trace } from "./log.js";
import type { NatsConnectionLike, Runtime } from "./runtime.js";
import { readAll, toByteSource, type ByteSource } from "./byte-source.js";
import { incrementalSha256, sha256Hex } from "./integrity.js";
import { progressReporter, type ProgressListener } from "./progress.js";
import { abortFanOut } from "./abort-fanout.js";
import type { SerializerRegistry } from "./serializers/registry.js";
import { fitToMaxPayload, maxPayloadOf, planTransports, DEFAULT_SIZE_THRESHOLD, type TransportPolicy } from "./transport.js";
import type { PubAck, SendResult, SendTuple, SmartsendOptions, UploadHandler } from "./types.js";
import type { WireLayout } from "./wire.js";
import { uuidv4 } from "./uuid.js";

/**
 * smartsend as named stages over plain data, each testable alone:
 *   readSendOptions → serializePayloads → planTransports (the policy) → fitToMaxPayload →
 *   uploadLinks → layout (build) → publish.
 * The max_payload fit runs after the policy, so no policy can publish an envelope the server refuses.
 */

export const DEFAULT_BROKER_URL = "nats://localhost:4222";
export const DEFAULT_FILESERVER_URL = "http://localhost:8080";

/** What a bridge gives smartsend: its plug points and its state. */
export interface SendContext {
  runtime: Pick<Runtime, "sha256">;
  codec: Codec;
  connections: ConnectionCache;
  serializers: SerializerRegistry;
  policy: TransportPolicy;
  defaultUpload: UploadHandler;
  logSink: LogSink;
  /** NATSBRIDGE_LOG, read once: environment lookups are native calls too slow for every message. */
  logFlag: () => string | undefined;
}

/** The options of one call, checked, with every default filled in. */
export interface SendSettings {
  header: EnvelopeHeader;
  size_threshold: number;
  fileserver_url: string;
  upload: UploadHandler;
  is_publish: boolean;
  nats_connection: NatsConnectionLike | null;
  confirm: { timeout_ms: number } | null;
  signal: AbortSignal | undefined;
  onProgress: ProgressListener | undefined;
  /** Upload time limits, handed to the upload handler. */
  timeouts: SmartsendOptions["timeouts"];
  jetstream: JetStreamSettings | null;
  trace: Trace;
}

/** One payload after serialization: what every later stage works on. */
export interface SerializedPayload {
  id: string;
  dataname: string;
  payload_type: string;
  /** Serialized length; null for a stream of unknown length (it goes by link). */
  size: number | null;
  /** In memory; absent for a Blob or stream not read (yet). */
  bytes?: Uint8Array;
  /** A Blob or stream given for a byte type: uploaded as it is read, never held whole. */
  source?: ByteSource;
}

export const DEFAULT_CONFIRM_TIMEOUT_MS = 5_000;

// Called with the value read by name (o.msg_id, not o[k]): a named property read stays fast
// where a computed key read does not.
const optionString = (v: unknown, k: keyof SmartsendOptions, dflt: string): string => {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string") throw new NatsBridgeError("INVALID_OPTIONS", `option ${k} must be a string`);
  return v;
};

/** Stage 0: the subject, the tuples and the options, checked; the envelope header built. */
export function readSendOptions(ctx: SendContext, subject: string, data: readonly SendTuple[], o: SmartsendOptions, correlation_id: string): SendSettings {
  // NATS subjects are whitespace-free tokens; the seeds' "/chat/room1" style is valid.
  if (typeof subject !== "string" || subject === "" || /\s/.test(subject)) {
    throw new NatsBridgeError("INVALID_OPTIONS", `subject must be a non-empty NATS subject without whitespace, got ${JSON.stringify(subject)}`);
  }
  if (!Array.isArray(data)) throw new NatsBridgeError("INVALID_OPTIONS", "data must be an array of [dataname, data, payload_type] tuples");
  for (let i = 0; i < data.length; i++) {
    const t = data[i];
    if (!Array.isArray(t) || t.length !== 3 || typeof t[0] !== "string" || typeof t[2] !== "string") {
      throw new NatsBridgeError("INVALID_OPTIONS", `data[${i}] must be a [dataname: string, data, payload_type: string] tuple`);
    }
  }
  const size_threshold = o.size_threshold ?? DEFAULT_SIZE_THRESHOLD;
  if (typeof size_threshold !== "number" || !(size_threshold >= 0)) throw new NatsBridgeError("INVALID_OPTIONS", "size_threshold must be a non-negative number");
  const upload = o.fileserver_upload_handler ?? ctx.defaultUpload;
  if (typeof upload !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_upload_handler must be a function");
  const metadata = o.metadata ?? {};
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw new NatsBridgeError("INVALID_OPTIONS", "metadata must be an object");
  checkMetadata(metadata);
  return {
    header: {
      correlation_id,
      msg_id: optionString(o.msg_id, "msg_id", "") || uuidv4(),
      timestamp: isoNow(),
      send_to: subject,
      msg_purpose: optionString(o.msg_purpose, "msg_purpose", "chat"),
      sender_name: optionString(o.sender_name, "sender_name", "NATSBridge"),
      sender_id: optionString(o.sender_id, "sender_id", "") || uuidv4(),
      receiver_name: optionString(o.receiver_name, "receiver_name", ""),
      receiver_id: optionString(o.receiver_id, "receiver_id", ""),
      reply_to: optionString(o.reply_to, "reply_to", ""),
      reply_to_msg_id: optionString(o.reply_to_msg_id, "reply_to_msg_id", ""),
      broker_url: optionString(o.broker_url, "broker_url", DEFAULT_BROKER_URL),
      metadata,
    },
    size_threshold,
    fileserver_url: optionString(o.fileserver_url, "fileserver_url", DEFAULT_FILESERVER_URL),
    upload,
    is_publish: o.is_publish ?? true,
    nats_connection: o.nats_connection ?? null,
    confirm: readConfirm(o.confirm),
    signal: checkSignal(o.signal),
    onProgress: o.onProgress === undefined ? undefined : checkListener(o.onProgress),
    timeouts: o.timeouts,
    jetstream: readJetStreamOption(o.jetstream),
    trace: makeTrace(o.log, ctx.logFlag, ctx.logSink),
  };
}

function checkSignal(v: unknown): AbortSignal | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof (v as AbortSignal).aborted !== "boolean" || typeof (v as AbortSignal).addEventListener !== "function") {
    throw new NatsBridgeError("INVALID_OPTIONS", "signal must be an AbortSignal");
  }
  return v as AbortSignal;
}

function checkListener(v: unknown): ProgressListener {
  if (typeof v !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "onProgress must be a function");
  return v as ProgressListener;
}

/** The coded error for a fired signal; nothing has been published when it is thrown. */
export function abortedError(signal: AbortSignal, correlation_id?: string): NatsBridgeError {
  return new NatsBridgeError("ABORTED", "the operation was aborted", { correlation_id, cause: signal.reason });
}

/** Envelope metadata obeys the payloads' JSON rules: what a receiver refuses is never written (MAX_JSON_DEPTH, no NaN). */
function checkMetadata(metadata: object): void {
  for (const _ in metadata) {
    let bad: number | undefined;
    try {
      walkJson(metadata, (n) => !Number.isFinite(n) && ((bad = n), true), new Set());
    } catch (e) {
      if (e instanceof JsonTooDeepError) throw new NatsBridgeError("SERIALIZATION_ERROR", `envelope metadata ${e.message}`, { cause: e });
      throw e;
    }
    if (bad !== undefined) throw new NatsBridgeError("SERIALIZATION_ERROR", `envelope metadata holds ${bad}, which JSON cannot represent`);
    return;
  }
}

function readConfirm(v: SmartsendOptions["confirm"]): SendSettings["confirm"] {
  if (v === undefined || v === false) return null;
  if (v === true) return { timeout_ms: DEFAULT_CONFIRM_TIMEOUT_MS };
  const t = v?.timeout_ms ?? DEFAULT_CONFIRM_TIMEOUT_MS;
  if (typeof t !== "number" || !(t > 0)) throw new NatsBridgeError("INVALID_OPTIONS", "confirm.timeout_ms must be a positive number");
  return { timeout_ms: t };
}

/**
 * Stage 1: every value to bytes with the bridge's serializers, in order. Synchronous while the
 * serializers are (text, dictionary, tables as JSON, bytes): a promise only for one that is
 * (arrowtable), since every promise hop shows in a small round trip (docs/performance.md).
 */
export function serializePayloads(serializers: SerializerRegistry, data: readonly SendTuple[], trace: Trace, correlation_id: string): SerializedPayload[] | Promise<SerializedPayload[]> {
  const out: SerializedPayload[] = [];
  for (let i = 0; i < data.length; i++) {
    const [dataname, value, payload_type] = data[i]!;
    const serializer = serializers.get(payload_type);
    const source = serializer.streams ? toByteSource(value) : null;
    if (source) {
      trace(correlation_id, () => `Streaming payload '${dataname}' (type: ${payload_type}) size: ${source.size ?? "unknown"} bytes`);
      out.push({ id: uuidv4(), dataname, payload_type, size: source.size, source });
      continue;
    }
    const made = serializer.serialize(value);
    if (made instanceof Promise) return made.then((bytes) => finishSerializing(serializers, data, trace, correlation_id, out, i, bytes));
    out.push(serialized(dataname, payload_type, made, trace, correlation_id));
  }
  return out;
}

async function finishSerializing(
  serializers: SerializerRegistry,
  data: readonly SendTuple[],
  trace: Trace,
  correlation_id: string,
  out: SerializedPayload[],
  at: number,
  first: Uint8Array,
): Promise<SerializedPayload[]> {
  out.push(serialized(data[at]![0], data[at]![2], first, trace, correlation_id));
  const rest = await serializePayloads(serializers, data.slice(at + 1), trace, correlation_id);
  return out.concat(rest);
}

function serialized(dataname: string, payload_type: string, bytes: unknown, trace: Trace, correlation_id: string): SerializedPayload {
  if (!(bytes instanceof Uint8Array)) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `the ${payload_type} serializer returned ${typeof bytes}, not a Uint8Array`);
  }
  trace(correlation_id, () => `Serialized payload '${dataname}' (type: ${payload_type}) size: ${bytes.byteLength} bytes`);
  return { id: uuidv4(), dataname, payload_type, size: bytes.byteLength, bytes };
}

/** A Blob the plan sends direct is small (below the threshold and max_payload): it is read now. */
async function readDirectSources(items: SerializedPayload[], plan: readonly Transport[], max_payload: number): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (plan[i] !== "direct" || !it.source || it.bytes) continue;
    it.bytes = await readAll(it.source, max_payload);
    it.size = it.bytes.byteLength;
  }
}

/** An uploaded link: where it is and the SHA-256 of what was sent. */
export interface Uploaded {
  url: string;
  sha256: string;
}

type UploadSettings = Pick<SendSettings, "upload" | "fileserver_url" | "trace" | "signal" | "onProgress" | "timeouts">;

/**
 * Stage 4: each payload the plan links, uploaded side by side; returns where each went, by index.
 * The first failure (or the caller's signal) cancels the uploads still running.
 */
export async function uploadLinks(
  runtime: Pick<Runtime, "sha256">,
  items: readonly SerializedPayload[],
  indices: readonly number[],
  s: UploadSettings,
  correlation_id: string,
): Promise<Map<number, Uploaded>> {
  const ctl = new AbortController();
  const stop = () => ctl.abort(s.signal?.reason);
  s.signal?.addEventListener("abort", stop, { once: true });
  // One listener on ctl.signal, a child signal per upload (abort-fanout.ts).
  const fan = abortFanOut(ctl.signal);
  try {
    const done = await Promise.all(
      indices.map((i) => {
        const child = fan.child();
        return uploadOne(runtime, items[i]!, s, child.signal, correlation_id)
          .catch((e) => {
            ctl.abort(e);
            throw e;
          })
          .finally(child.release);
      }),
    );
    return new Map(indices.map((i, k) => [i, done[k]!]));
  } catch (e) {
    if (s.signal?.aborted) throw abortedError(s.signal, correlation_id);
    throw e;
  } finally {
    fan.dispose();
    s.signal?.removeEventListener("abort", stop);
  }
}

async function uploadOne(runtime: Pick<Runtime, "sha256">, item: SerializedPayload, s: UploadSettings, signal: AbortSignal, correlation_id: string): Promise<Uploaded> {
  const { dataname } = item;
  s.trace(correlation_id, "Using link transport, uploading to fileserver");
  const progress = progressReporter(s.onProgress, dataname, "upload", item.size);
  progress.to(0);
  // The SHA-256 is taken in the same pass that sends the bytes: from memory by WebCrypto beside
  // the upload, or chunk by chunk from a stream as the uploader reads it.
  let data: Uint8Array | ByteSource;
  let digest: () => Promise<string>;
  let sent = () => item.size ?? 0;
  if (item.bytes) {
    data = item.bytes;
    const d = sha256Hex(runtime, item.bytes);
    d.catch(() => undefined);
    digest = () => d;
  } else {
    const source = item.source!;
    const hash = incrementalSha256(runtime);
    let loaded = 0;
    let ended = false;
    data = {
      size: source.size,
      ...(source.blob && { blob: source.blob }),
      stream: () =>
        source.stream().pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, ctl) {
              hash.update(chunk);
              loaded += chunk.byteLength;
              progress.to(loaded);
              ctl.enqueue(chunk);
            },
            flush: () => void (ended = true),
          }),
        ),
    };
    sent = () => loaded;
    // A handler that sent the Blob itself (a browser's FormData reads it from disk) did not read our
    // stream: the Blob is then read once more for its hash. A stream must have been read to its end.
    digest = async () => {
      if (ended) return hash.hex();
      if (source.blob) return hashBlob(runtime, source.blob);
      throw new NatsBridgeError("UPLOAD_FAILED", `the upload handler reported success for ${JSON.stringify(dataname)} without reading its stream to the end`);
    };
  }
  let res;
  try {
    res = await s.upload(s.fileserver_url, dataname, data, {
      signal,
      onProgress: (n) => progress.to(n),
      ...(s.timeouts && { timeouts: s.timeouts }),
    });
  } catch (e) {
    // The source's own fault (a chunk that is not bytes) is the caller's data, not the file server's.
    if (item.source?.failure) throw item.source.failure;
    if (signal.aborted && !(e instanceof NatsBridgeError && e.code !== "UPLOAD_FAILED")) throw signal.reason instanceof NatsBridgeError ? signal.reason : e;
    // An upload handler's failure is the file server's (or the network's), whatever it threw.
    throw withCorrelation(e, "UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} failed`, correlation_id);
  }
  // http(s), or a scheme the upload handler claims (the Object Store's natsobj:, claimcheck/schemes.ts).
  if (!res || res.status !== 200 || typeof res.url !== "string" || !linkUrlAllowed(res.url, s.upload)) {
    throw new NatsBridgeError("UPLOAD_FAILED", `Failed to upload data to fileserver: status ${res?.status}, url ${JSON.stringify(res?.url)}`, {
      correlation_id,
      details: { dataname, fileserver_url: s.fileserver_url },
    });
  }
  const sha256 = await digest();
  if (item.size === null) item.size = sent();
  progress.done(item.size);
  s.trace(correlation_id, () => `Uploaded to URL: ${res.url}`);
  return { url: res.url, sha256 };
}

async function hashBlob(runtime: Pick<Runtime, "sha256">, blob: Blob): Promise<string> {
  const h = incrementalSha256(runtime);
  const reader = (blob.stream() as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return h.hex();
    h.update(value);
  }
}

/** Stage 6: publish (synchronous: nats.js buffers it; no promise hop on the hot path). */
export function publish(conn: NatsConnectionLike, subject: string, wire: Uint8Array, correlation_id: string): void {
  try {
    conn.publish(subject, wire);
  } catch (e) {
    throw withCorrelation(e, "NATS_CONNECTION_FAILED", `publish to ${subject} failed`, correlation_id);
  }
}

/** With `confirm`: wait for the server's answer to a flush after the publish. */
export async function confirmPublished(conn: NatsConnectionLike, subject: string, confirm: NonNullable<SendSettings["confirm"]>, correlation_id: string): Promise<void> {
  // Core NATS is at most once: a publish returns before anything reaches the server, and during
  // an outage nats.js buffers it. A flush round trip proves the server has read everything before it.
  if (typeof conn.flush !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "confirm needs a connection with flush()");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the server within ${confirm.timeout_ms} ms`)), confirm.timeout_ms);
  });
  try {
    await Promise.race([conn.flush(), timeout]);
  } catch (e) {
    throw withCorrelation(e, "NATS_CONNECTION_FAILED", `publish to ${subject} was not confirmed`, correlation_id);
  } finally {
    clearTimeout(timer);
  }
}

const tooLarge = (bytes: number, max_payload: number) =>
  new NatsBridgeError("ENVELOPE_TOO_LARGE", `envelope is at least ${bytes} bytes with every payload linked; the server accepts ${max_payload}`, {
    details: { envelope_bytes: bytes, max_payload },
  });

export async function smartsend(ctx: SendContext, subject: string, data: readonly SendTuple[], options: SmartsendOptions): Promise<SendResult> {
  let correlation_id = "";
  try {
    correlation_id = optionString(options.correlation_id, "correlation_id", "") || uuidv4();
    return await send(ctx, subject, data, readSendOptions(ctx, subject, data, options, correlation_id));
  } catch (e) {
    // Coded errors pass with the correlation id; anything else is a bug, not bad data (issue 7).
    throw withCorrelation(e, "INTERNAL_ERROR", "smartsend failed", correlation_id || undefined);
  }
}

async function send(ctx: SendContext, subject: string, data: readonly SendTuple[], s: SendSettings): Promise<SendResult> {
  const { header, trace } = s;
  const { correlation_id } = header;
  trace(correlation_id, () => `Starting smartsend for subject: ${subject}`);

  // Connect before uploading anything: the server's max_payload decides what may go direct, and
  // an unreachable broker must not leave orphaned uploads behind.
  let conn = s.nats_connection;
  if (s.is_publish && !conn) conn = await ctx.connections.get(header.broker_url);
  const max_payload = maxPayloadOf(conn);

  const aborted = () => {
    if (s.signal?.aborted) throw abortedError(s.signal, correlation_id);
  };
  aborted();
  const serializing = serializePayloads(ctx.serializers, data, trace, correlation_id);
  const items = serializing instanceof Promise ? await serializing : serializing;
  let plan: Transport[] = planTransports(ctx.policy, items, { size_threshold: s.size_threshold, max_payload });
  if (items.some((it) => it.source)) await readDirectSources(items, plan, max_payload);
  const sizes = items.map((it) => it.size ?? Number.POSITIVE_INFINITY);

  // Stage 5, the envelope for a plan. A direct payload object is made once (its base64 at most
  // once); a link not yet uploaded is measured with an empty URL and no hash, so the fit before
  // uploading is a lower bound and nothing is uploaded for an envelope that cannot fit.
  const directs: (WirePayload | undefined)[] = [];
  const uploaded = new Map<number, Uploaded>();
  let last: { env: WireEnvelope; layout: WireLayout } | undefined;
  const build = (p: readonly Transport[]): number => {
    const payloads = items.map((it, i) => {
      if (p[i] === "direct") return (directs[i] ??= ctx.codec.directPayload(it.id, it.dataname, it.payload_type, it.bytes!));
      const u = uploaded.get(i);
      return linkPayload(it.id, it.dataname, it.payload_type, it.size ?? 0, u?.url ?? "", u ? { sha256: u.sha256 } : {});
    });
    const env = buildEnvelope(header, payloads);
    let layout: WireLayout;
    try {
      layout = ctx.codec.layout(header, payloads);
    } catch (e) {
      throw withCorrelation(e, "SERIALIZATION_ERROR", "envelope metadata is not JSON-serializable");
    }
    last = { env, layout };
    return layout.byteLength;
  };

  for (;;) {
    const fitted = fitToMaxPayload(sizes, plan, max_payload, build);
    if (!fitted) throw tooLarge(last!.layout.byteLength, max_payload);
    plan = fitted;
    const pending = plan.flatMap((t, i) => (t === "link" && !uploaded.has(i) ? [i] : []));
    if (pending.length === 0) break;
    aborted();
    for (const [i, u] of await uploadLinks(ctx.runtime, items, pending, s, correlation_id)) uploaded.set(i, u);
    // The real URLs can only make it longer: measure again, and fit again if they pushed it over.
    if (build(plan) <= max_payload) break;
  }
  const { env, layout } = last!;
  plan.forEach((t, i) => t === "direct" && trace(correlation_id, () => `Using direct transport for ${items[i]!.size} bytes`));

  let puback: PubAck | undefined;
  if (s.is_publish) {
    // The last moment to honour an abort: after this the message is on its way.
    aborted();
    // JetStream's PubAck is the server's confirmation, so `confirm` adds nothing to it.
    if (s.jetstream) puback = await publishJetStream(conn!, subject, layout.bytes(), s.jetstream, header.msg_id, correlation_id);
    else {
      publish(conn!, subject, layout.bytes(), correlation_id);
      if (s.confirm) await confirmPublished(conn!, subject, s.confirm, correlation_id);
    }
    trace(correlation_id, () => `Message published to ${subject}${puback ? ` (stream ${puback.stream}, seq ${puback.seq}${puback.duplicate ? ", duplicate" : ""})` : ""}`);
  }
  const result = sendResult(env, layout);
  // A property, not a third element: `[env, json]` keeps its shape for every caller (issue 10).
  if (puback) Object.defineProperty(result, "puback", { value: puback, enumerable: false });
  return result;
}

/**
 * [env, env_json_str]. The JSON text of an envelope whose large payloads were written from bytes
 * (the wasm codec) is only built when read: a 700 KB string costs more than the send it reports on
 * (docs/performance.md, 512 KB round trip) and most callers never read it. Everything else is a
 * plain value.
 */
function sendResult(env: WireEnvelope, layout: WireLayout): SendResult {
  if (!layout.jsonIsCostly) return [env, layout.json()];
  const result = [env] as unknown as [WireEnvelope, string];
  let json: string | undefined;
  Object.defineProperty(result, 1, { enumerable: true, configurable: true, get: () => (json ??= layout.json()) });
  return result;
}
