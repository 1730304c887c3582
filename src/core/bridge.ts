import { useUtf8Encoder } from "./bytes.js";
import { plainCodec, type Codec } from "./codec.js";
import { ConnectionCache } from "./connections.js";
import { makeFetchWithBackoff, type FetchWithBackoff } from "./claimcheck/fetch-backoff.js";
import { makePlikUploader, type PlikUploadOptions } from "./claimcheck/plik.js";
import { NatsBridgeError } from "./errors.js";
import { consume, type ConsumeHandler, type ConsumeOptions, type Consumption } from "./jetstream/consume.js";
import { consoleLogger, type LogSink } from "./log.js";
import type { NatsConnectionLike, Runtime } from "./runtime.js";
import { SerializerRegistry, type Serializer } from "./serializers/registry.js";
import { smartreceive, type IncomingMessage } from "./smartreceive.js";
import { DEFAULT_FILESERVER_URL, smartsend } from "./smartsend.js";
import { smartreply, smartrequest, type RequestContext, type RequestEnvelope, type SmartreplyOptions, type SmartrequestOptions } from "./request.js";
import type { ReplyError } from "./error-response.js";
import { thresholdPolicy, type TransportPolicy } from "./transport.js";
import type { DownloadHandler, Logger, ReceivedEnvelope, SendResult, SendTuple, SmartreceiveOptions, SmartsendOptions, UploadHandler, WireEnvelope } from "./types.js";

/** Defaults for every call of a bridge: any smartsend or smartreceive option. A call's own options win. */
export type BridgeDefaults = SmartsendOptions & SmartreceiveOptions;

/**
 * A bridge's plug points (issue 7, ky-style): each bridge has its own serializers, transport
 * policy, handlers, logger and defaults; nothing is shared with another bridge but the runtime.
 */
export interface BridgeOptions extends BridgeDefaults {
  /** The runtime edge (src/node.ts, src/browser.ts fill it); kept by `extend`. */
  runtime?: Runtime;
  /** How envelopes become bytes and back; the entry file picks the fast one, the plain one is the reference. */
  codec?: Codec;
  /** Payload types to add or replace, on top of the built-ins (or, for `extend`, of the parent's). */
  serializers?: Record<string, Serializer>;
  /** direct or link per payload; the max_payload fit is applied after it. Default: the seeds' size_threshold rule. */
  transport?: TransportPolicy;
  /** The default upload handler (a call's `fileserver_upload_handler` wins). Default: Plik, one-shot. */
  upload?: UploadHandler;
  /** The default download handler (a call's `fileserver_download_handler` wins). Default: fetchWithBackoff. */
  download?: DownloadHandler;
  /** Where `log: true` and NATSBRIDGE_LOG send trace lines. Default: console.log. */
  logger?: Logger;
}

export interface Bridge {
  /** Serialize, pick direct or link per payload, upload what must be linked, then publish one envelope. */
  smartsend(subject: string, data: readonly SendTuple[], options?: SmartsendOptions): Promise<SendResult>;
  /** Validate an envelope and return it with `payloads` as `[dataname, data, payload_type]` tuples. */
  smartreceive(msg: IncomingMessage | WireEnvelope, options?: SmartreceiveOptions): Promise<ReceivedEnvelope>;
  /** Send a request (reply_to = a fresh inbox) and resolve with the received answer; see request.ts. */
  smartrequest(subject: string, data: readonly SendTuple[], options?: SmartrequestOptions): Promise<ReceivedEnvelope>;
  /** Answer a received request on its reply_to, with payloads or with an error-response envelope. */
  smartreply(request: RequestEnvelope, answer: readonly SendTuple[] | ReplyError, options?: SmartreplyOptions): Promise<[WireEnvelope, string]>;
  /**
   * Consume a durable JetStream consumer: `handler(received envelope, msg)`; ack on success, nak
   * with delay on a failure that may pass, term on a bad envelope (src/core/jetstream/consume.ts).
   */
  consume(connection: NatsConnectionLike, options: ConsumeOptions, handler: ConsumeHandler): Promise<Consumption>;
  /** Drain and close every NATS connection this bridge opened for a broker_url. */
  close(): Promise<void>;
  /** A new bridge: this one's runtime, codec, plug points, serializers and defaults, with `options` on top. */
  extend(options: BridgeOptions): Bridge;
  /** A new bridge from the built-ins, keeping only this one's runtime and codec. */
  create(options?: BridgeOptions): Bridge;
  /** Add a payload type (or replace a built-in one) on this bridge only. */
  registerSerializer(payload_type: string, serializer: Serializer): void;
  /** Remove a custom type from this bridge, or put a replaced built-in back. */
  unregisterSerializer(payload_type: string): void;
  getSerializer(payload_type: string): Serializer;
  payloadTypes(): string[];
  /** Replace this bridge's sink for `log: true` and NATSBRIDGE_LOG. */
  setLogger(logger: Logger): void;
  /** The options this bridge was made with (its defaults and plug points). */
  readonly options: Readonly<BridgeOptions>;
  /** The seeds' default upload handler: Plik, one-shot (the file is deleted after one download). */
  plikOneshotUpload: UploadHandler;
  /** A Plik upload handler with other settings, e.g. `{ oneShot: false, ttl: 3600 }` for fan-out subjects. */
  createPlikUploadHandler(opts?: PlikUploadOptions): UploadHandler;
  /** The seeds' default download handler: exponential backoff within headers/idle/total time limits and a byte cap. */
  fetchWithBackoff: FetchWithBackoff;
}

const PLUG_POINTS = ["runtime", "codec", "serializers", "transport", "upload", "download", "logger"] as const;

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Option objects merged one level deeper, so a call's `timeouts: { total_ms }` keeps the bridge's headers_ms. */
const NESTED = new Set(["timeouts", "retry"]);

/** A call's options over the bridge's defaults; an option given as undefined keeps the default. */
function withDefaults<T extends object>(defaults: Partial<T>, options: T | undefined): T {
  if (options === undefined || options === null) return defaults as T;
  if (typeof options !== "object") throw new NatsBridgeError("INVALID_OPTIONS", "options must be an object");
  // The default bridge usually has no defaults: the call's own object, without a copy (hot path).
  if (isEmpty(defaults)) return options;
  const out: Record<string, unknown> = { ...defaults };
  for (const k in options) {
    const v: unknown = options[k];
    if (v === undefined) continue;
    const d = out[k];
    out[k] = NESTED.has(k) && d && v && typeof d === "object" && typeof v === "object" ? { ...d, ...v } : v;
  }
  return out as T;
}

/**
 * NATS_URL, FILESERVER_URL and SIZE_THRESHOLD (the names the seeds use), read once per bridge.
 * A SIZE_THRESHOLD that is not a number is kept as given, so the first send says what is wrong
 * (INVALID_OPTIONS) instead of an import failing or a number being guessed.
 */
function environmentDefaults(runtime: Runtime): BridgeDefaults {
  const out: BridgeDefaults = {};
  const nats = runtime.env("NATS_URL");
  const files = runtime.env("FILESERVER_URL");
  const threshold = runtime.env("SIZE_THRESHOLD");
  if (nats) out.broker_url = nats;
  if (files) out.fileserver_url = files;
  if (threshold) out.size_threshold = /^\d+$/.test(threshold.trim()) ? Number(threshold) : (threshold as unknown as number);
  return out;
}

function checkFunction(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== "function") throw new NatsBridgeError("INVALID_OPTIONS", `${name} must be a function`);
}

export function createBridge(options: BridgeOptions): Bridge {
  return makeBridge(options, new SerializerRegistry());
}

function makeBridge(options: BridgeOptions, serializers: SerializerRegistry): Bridge {
  const { runtime } = options;
  if (!runtime) throw new NatsBridgeError("INVALID_OPTIONS", "createBridge needs a runtime (import it from the package entry, which provides one)");
  for (const k of ["transport", "upload", "download", "logger"] as const) checkFunction(options[k], k);
  for (const [k, s] of Object.entries(options.serializers ?? {})) serializers.register(k, s);
  // Same bytes as TextEncoder, only faster (Node's pooled Buffer.from): harmless to share.
  if (runtime.utf8Encode) useUtf8Encoder(runtime.utf8Encode);

  // The seeds' environment variables are the defaults under whatever the bridge is given.
  const defaults: BridgeDefaults = environmentDefaults(runtime);
  for (const k in options) if (!(PLUG_POINTS as readonly string[]).includes(k)) (defaults as Record<string, unknown>)[k] = (options as Record<string, unknown>)[k];

  const codec = options.codec ?? plainCodec(runtime);
  const connections = new ConnectionCache((url) => runtime.connect(url));
  const plikOneshotUpload = makePlikUploader(runtime, { oneShot: true });
  const logSink: LogSink = { logger: options.logger ?? consoleLogger };
  let flag: { v: string | undefined } | undefined;
  const logFlag = () => (flag ??= { v: runtime.env("NATSBRIDGE_LOG") }).v;
  const fetchWithBackoff = makeFetchWithBackoff(runtime, { logFlag, logSink });
  const sendCtx = {
    runtime,
    codec,
    connections,
    serializers,
    policy: options.transport ?? thresholdPolicy,
    defaultUpload: options.upload ?? plikOneshotUpload,
    logSink,
    logFlag,
  };
  // Links are fetched only from the file server(s) this bridge is configured with, unless told more.
  const fileserverUrl = defaults.fileserver_url ?? DEFAULT_FILESERVER_URL;
  const receiveCtx = { runtime, codec, serializers, defaultDownload: options.download ?? fetchWithBackoff, logSink, logFlag, fileserverUrl };

  // Request/reply go through this bridge's own smartsend/smartreceive (its serializers, policy, defaults).
  const requestCtx: RequestContext = {
    connections,
    smartsend: (subject, data, o) => bridge.smartsend(subject, data, o),
    smartreceive: (msg, o) => bridge.smartreceive(msg, o),
  };
  const bridge: Bridge = {
    smartsend: (subject, data, o) => {
      try {
        return smartsend(sendCtx, subject, data, withDefaults(defaults, o));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    smartreceive: (msg, o) => {
      try {
        return smartreceive(receiveCtx, msg as IncomingMessage, withDefaults(defaults, o));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    smartrequest: (subject, data, o) => {
      try {
        return smartrequest(requestCtx, subject, data, withDefaults(defaults, o));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    smartreply: (request, answer, o) => {
      try {
        return smartreply(requestCtx, request, answer, withDefaults(defaults, o));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    consume: (connection, o, handler) => consume(bridge.smartreceive, connection, o, handler),
    close: () => connections.closeAll(),
    extend: (more) => makeBridge({ ...options, ...more, serializers: undefined }, serializers.copy(more.serializers)),
    create: (more = {}) => createBridge({ runtime, codec, ...more }),
    registerSerializer: (t, s) => serializers.register(t, s),
    unregisterSerializer: (t) => serializers.unregister(t),
    getSerializer: (t) => serializers.get(t),
    payloadTypes: () => serializers.types(),
    setLogger: (logger) => {
      checkFunction(logger, "logger");
      logSink.logger = logger;
    },
    options: Object.freeze({ ...options }),
    plikOneshotUpload,
    createPlikUploadHandler: (opts) => makePlikUploader(runtime, opts),
    fetchWithBackoff,
  };
  return bridge;
}
