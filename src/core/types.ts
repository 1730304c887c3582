import type { Table } from "apache-arrow";
import type { NatsConnectionLike } from "./runtime.js";
import type { DownloadOptions } from "./claimcheck/fetch-backoff.js";
import type { LinkReceiveOptions } from "./claimcheck/download-session.js";
import type { UploadCallOptions } from "./claimcheck/plik.js";
import type { Timeouts } from "./claimcheck/timeouts.js";

export type JsonValue = string | number | boolean | null | bigint | JsonValue[] | { [key: string]: JsonValue };
export type JsonRow = { [column: string]: JsonValue };
/** Rows as objects (JS, Julia, Python peers) or as arrays (MicroPython's list[list]). */
export type JsonTable = JsonRow[] | JsonValue[][];
export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Payload type literal → what smartsend accepts for it and what smartreceive returns.
 * Augment this interface (declaration merging) when registering a custom serializer.
 */
export interface PayloadTypeMap {
  text: { send: string; receive: string };
  dictionary: { send: JsonValue | Record<string, unknown> | unknown[]; receive: JsonValue };
  jsontable: { send: JsonTable | Record<string, unknown[]>; receive: JsonTable };
  arrowtable: { send: Table | Array<Record<string, unknown>>; receive: Table };
  image: { send: BytesLike; receive: Uint8Array };
  audio: { send: BytesLike; receive: Uint8Array };
  video: { send: BytesLike; receive: Uint8Array };
  binary: { send: BytesLike; receive: Uint8Array };
}

export type PayloadType = keyof PayloadTypeMap & string;

/** One `[dataname, data, payload_type]` tuple; the literal decides the data type. */
export type SendTuple = { [K in PayloadType]: readonly [dataname: string, data: PayloadTypeMap[K]["send"], payload_type: K] }[PayloadType];
export type ReceivedTuple = { [K in PayloadType]: [dataname: string, data: PayloadTypeMap[K]["receive"], payload_type: K] }[PayloadType];

export type Transport = "direct" | "link";

/** msg_payload_v1 as it travels. */
export interface WirePayload {
  id: string;
  dataname: string;
  payload_type: string;
  transport: Transport;
  encoding: "base64" | "none";
  size: number;
  data: string;
  metadata: Record<string, unknown>;
}

/** msg_envelope_v1 as it travels. Field order here is the order on the wire. */
export interface WireEnvelope {
  correlation_id: string;
  msg_id: string;
  timestamp: string;
  send_to: string;
  msg_purpose: string;
  sender_name: string;
  sender_id: string;
  receiver_name: string;
  receiver_id: string;
  reply_to: string;
  reply_to_msg_id: string;
  broker_url: string;
  metadata: Record<string, unknown>;
  payloads: WirePayload[];
}

export type ReceivedEnvelope = Omit<WireEnvelope, "payloads"> & { payloads: ReceivedTuple[] };

export interface UploadResult {
  status: number;
  uploadid?: string;
  fileid?: string;
  url: string;
}

/** The seeds' three arguments; `options` (timeouts, signal) is natsbridge's addition a handler may ignore. */
export type UploadHandler = (fileserver_url: string, dataname: string, data: Uint8Array, options?: UploadCallOptions) => Promise<UploadResult>;
/**
 * The seeds' five arguments; `options` (signal, expected_size, max_bytes, timeouts, retry,
 * allowed_origins) is natsbridge's addition. smartreceive checks origins, counts and sizes itself,
 * so a handler that ignores it is still bounded by them, but only one that honours it can stop early.
 */
export type DownloadHandler = (
  url: string,
  max_retries: number,
  base_delay: number,
  max_delay: number,
  correlation_id: string,
  options?: DownloadOptions,
) => Promise<Uint8Array | ArrayBuffer>;

export type Logger = (line: string) => void;

export interface SmartsendOptions {
  broker_url?: string;
  fileserver_url?: string;
  fileserver_upload_handler?: UploadHandler;
  size_threshold?: number;
  correlation_id?: string;
  msg_purpose?: string;
  sender_name?: string;
  receiver_name?: string;
  receiver_id?: string;
  reply_to?: string;
  reply_to_msg_id?: string;
  is_publish?: boolean;
  nats_connection?: NatsConnectionLike | null;
  msg_id?: string;
  sender_id?: string;
  /** Envelope-level metadata (the seeds always send `{}`). */
  metadata?: Record<string, unknown>;
  /** Correlation-id trace logging: true for the default sink, or a logger of your own. */
  log?: boolean | Logger;
  /** Upload time limits `{ headers_ms, idle_ms, total_ms }` (defaults 15 s, 15 s, 120 s), passed to the upload handler. */
  timeouts?: Timeouts;
}

export interface SmartreceiveOptions extends LinkReceiveOptions {
  fileserver_download_handler?: DownloadHandler;
  max_retries?: number;
  base_delay?: number;
  max_delay?: number;
  log?: boolean | Logger;
}
