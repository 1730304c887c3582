import { isoNow } from "./clock.js";
import { buildEnvelope, directPayload, linkPayload, type EnvelopeHeader } from "./envelope.js";
import { layoutEnvelope, lazyDirectPayload, type WireIo, type WireLayout } from "./wire.js";
import { NatsBridgeError, withCorrelation } from "./errors.js";
import { stringifyJson } from "./json.js";
import { makeTrace } from "./log.js";
import type { ConnectionCache } from "./connections.js";
import type { NatsConnectionLike, Runtime } from "./runtime.js";
import { getSerializer } from "./serializers/registry.js";
import { DEFAULT_SIZE_THRESHOLD, maxPayloadOf, selectTransports } from "./transport.js";
import type { SendTuple, SmartsendOptions, Transport, UploadHandler, WireEnvelope, WirePayload } from "./types.js";
import { uuidv4 } from "./uuid.js";

export const DEFAULT_BROKER_URL = "nats://localhost:4222";
export const DEFAULT_FILESERVER_URL = "http://localhost:8080";

/** From this size a direct payload's base64 is written straight into the wire (when the codec is there). */
const LAZY_ABOVE = 16 * 1024;

export interface SendContext {
  runtime: Runtime;
  connections: ConnectionCache;
  defaultUpload: UploadHandler;
  /** How envelope bytes are written; with encodeBase64Into, large payloads skip JS strings. */
  io: WireIo;
  /** NATSBRIDGE_LOG, read once: environment lookups are native calls too slow for every message. */
  logFlag: () => string | undefined;
}

// Called with the value read by name (o.msg_id, not o[k]): a named property read stays fast
// where a computed key read does not.
const optionString = (v: unknown, k: keyof SmartsendOptions, dflt: string): string => {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string") throw new NatsBridgeError("INVALID_OPTIONS", `option ${k} must be a string`);
  return v;
};

export function smartsend(
  ctx: SendContext,
  subject: string,
  data: readonly SendTuple[],
  options: SmartsendOptions = {},
): Promise<[WireEnvelope, string]> {
  const o = options ?? {};
  let correlation_id = "";
  try {
    correlation_id = optionString(o.correlation_id, "correlation_id", "") || uuidv4();
  } catch (e) {
    return Promise.reject(e);
  }
  // A plain function around the async body: one promise layer less per message.
  return send(ctx, subject, data, o, correlation_id).catch((e) => {
    throw withCorrelation(e, "SERIALIZATION_ERROR", "smartsend failed", correlation_id);
  });
}

async function send(ctx: SendContext, subject: string, data: readonly SendTuple[], o: SmartsendOptions, correlation_id: string): Promise<[WireEnvelope, string]> {
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
  const broker_url = optionString(o.broker_url, "broker_url", DEFAULT_BROKER_URL);
  const fileserver_url = optionString(o.fileserver_url, "fileserver_url", DEFAULT_FILESERVER_URL);
  const upload = o.fileserver_upload_handler ?? ctx.defaultUpload;
  if (typeof upload !== "function") throw new NatsBridgeError("INVALID_OPTIONS", "fileserver_upload_handler must be a function");
  const is_publish = o.is_publish ?? true;
  const trace = makeTrace(o.log, ctx.logFlag);

  const header: EnvelopeHeader = {
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
    broker_url,
    metadata: o.metadata ?? {},
  };
  trace(correlation_id, () => `Starting smartsend for subject: ${subject}`);

  // Connect before uploading anything: the server's max_payload decides what may go direct, and
  // an unreachable broker must not leave orphaned uploads behind.
  let conn: NatsConnectionLike | null = o.nats_connection ?? null;
  if (is_publish && !conn) conn = await ctx.connections.get(broker_url);

  const serialized: Uint8Array[] = [];
  for (const [dataname, value, payload_type] of data) {
    const out = getSerializer(payload_type).serialize(value);
    const bytes = out instanceof Promise ? await out : out;
    trace(correlation_id, () => `Serialized payload '${dataname}' (type: ${payload_type}) size: ${bytes.byteLength} bytes`);
    serialized.push(bytes);
  }
  const sizes = serialized.map((b) => b.byteLength);
  const ids = data.map(() => uuidv4());
  const directs: (WirePayload | undefined)[] = [];
  // The same payload object across measurements, so a base64 string is made at most once.
  const direct = (i: number): WirePayload =>
    (directs[i] ??= ((dataname, payload_type, bytes) =>
      bytes.byteLength >= LAZY_ABOVE && ctx.io.encodeBase64Into
        ? lazyDirectPayload(ids[i]!, dataname, payload_type, bytes, ctx.runtime.base64Encode)
        : directPayload(ids[i]!, dataname, payload_type, bytes.byteLength, ctx.runtime.base64Encode(bytes)))(data[i]![0], data[i]![2], serialized[i]!));
  const uploads: (Promise<string> | undefined)[] = [];

  const uploadOnce = (i: number): Promise<string> =>
    (uploads[i] ??= (async () => {
      const dataname = data[i]![0];
      trace(correlation_id, "Using link transport, uploading to fileserver");
      let res;
      try {
        res = await upload(fileserver_url, dataname, serialized[i]!, { timeouts: o.timeouts });
      } catch (e) {
        throw withCorrelation(e, "UPLOAD_FAILED", `upload of ${JSON.stringify(dataname)} failed`, correlation_id);
      }
      if (!res || res.status !== 200 || typeof res.url !== "string" || !/^https?:\/\//i.test(res.url)) {
        throw new NatsBridgeError("UPLOAD_FAILED", `Failed to upload data to fileserver: status ${res?.status}, url ${JSON.stringify(res?.url)}`, {
          correlation_id,
          details: { dataname, fileserver_url },
        });
      }
      trace(correlation_id, () => `Uploaded to URL: ${res.url}`);
      return res.url;
    })());

  let env: WireEnvelope | undefined;
  let layout: WireLayout | undefined;
  const finish = (payloads: WirePayload[]): number => {
    env = buildEnvelope(header, payloads);
    try {
      layout = layoutEnvelope(header, payloads, stringifyJson, ctx.io);
    } catch (e) {
      throw new NatsBridgeError("SERIALIZATION_ERROR", `envelope metadata is not JSON-serializable: ${(e as Error).message}`, { cause: e });
    }
    return layout.byteLength;
  };
  const max_payload = maxPayloadOf(conn);
  const tooLarge = (bytes: number) =>
    new NatsBridgeError("ENVELOPE_TOO_LARGE", `envelope is at least ${bytes} bytes with every payload linked; the server accepts ${max_payload}`, {
      details: { envelope_bytes: bytes, max_payload },
    });
  let floorChecked = false;
  const measure = (plan: readonly Transport[]): number | Promise<number> => {
    if (!floorChecked && plan.includes("link")) {
      // Before the first upload: if even all-link (with empty URLs) cannot fit, uploading is pointless.
      floorChecked = true;
      const floor = finish(data.map(([dataname, , payload_type], i) => linkPayload(ids[i]!, dataname, payload_type, sizes[i]!, "")));
      if (floor > max_payload) throw tooLarge(floor);
    }
    const urls = plan.map((t, i) => (t === "link" ? uploadOnce(i) : undefined));
    const build = (linked: (string | undefined)[]) =>
      finish(
        data.map(([dataname, , payload_type], i) =>
          plan[i] === "direct"
            ? direct(i)
            : linkPayload(ids[i]!, dataname, payload_type, sizes[i]!, linked[i]!),
        ),
      );
    // Uploads run side by side; with none to wait for, the envelope is measured at once.
    return urls.some((u) => u !== undefined) ? Promise.all(urls).then(build) : build([]);
  };

  const selected = selectTransports(sizes, size_threshold, max_payload, measure);
  const { plan, fits } = selected instanceof Promise ? await selected : selected;
  if (!fits) throw tooLarge(layout!.byteLength);
  const wire = layout!.bytes();
  plan.forEach((t, i) => t === "direct" && trace(correlation_id, () => `Using direct transport for ${sizes[i]} bytes`));

  if (is_publish) {
    try {
      conn!.publish(subject, wire);
    } catch (e) {
      throw withCorrelation(e, "NATS_CONNECTION_FAILED", `publish to ${subject} failed`, correlation_id);
    }
    trace(correlation_id, () => `Message published to ${subject}`);
  }
  const result = [env!] as unknown as [WireEnvelope, string];
  if (!layout!.jsonIsCostly) result[1] = layout!.json();
  else {
    // Most callers never read the JSON text of a large envelope; build it only if asked.
    let json: string | undefined;
    const make = layout!.json;
    Object.defineProperty(result, 1, { enumerable: true, configurable: true, get: () => (json ??= make()) });
  }
  return result;
}
