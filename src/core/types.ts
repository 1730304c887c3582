import type { Table } from "apache-arrow";
import type { ProgressListener } from "./progress.js";
import type { ByteSource } from "./byte-source.js";
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
/** A byte payload not in memory (issue 9): a Blob/File, a web stream or a Node Readable; sent by link, streamed. */
export type StreamLike = Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Payload type literal → what smartsend accepts for it and what smartreceive returns.
 * Augment this interface (declaration merging) when registering a custom serializer.
 */
export interface PayloadTypeMap {
  text: { send: string; receive: string };
  dictionary: { send: JsonValue | Record<string, unknown> | unknown[]; receive: JsonValue };
  jsontable: { send: JsonTable | Record<string, unknown[]>; receive: JsonTable };
  arrowtable: { send: Table | Array<Record<string, unknown>>; receive: Table };
  image: { send: BytesLike | StreamLike; receive: Uint8Array };
  audio: { send: BytesLike | StreamLike; receive: Uint8Array };
  video: { send: BytesLike | StreamLike; receive: Uint8Array };
  binary: { send: BytesLike | StreamLike; receive: Uint8Array };
}

export type PayloadType = keyof PayloadTypeMap & string;

/** One `[dataname, data, payload_type]` tuple; the literal decides the data type. */
export type SendTuple = { [K in PayloadType]: readonly [dataname: string, data: PayloadTypeMap[K]["send"], payload_type: K] }[PayloadType];
export type ReceivedTuple = { [K in PayloadType]: [dataname: string, data: PayloadTypeMap[K]["receive"], payload_type: K] }[PayloadType];

import type { EnvelopeHeader, WireEnvelope } from "./envelope.js";
export type { Transport, WirePayload, WireEnvelope, EnvelopeHeader } from "./envelope.js";

/** The envelope smartreceive returns: the header as sent (peers' extra fields kept), payloads as tuples. */
export type ReceivedEnvelope = EnvelopeHeader & { payloads: ReceivedTuple[]; [extra: string]: unknown };

export interface UploadResult {
  status: number;
  uploadid?: string;
  fileid?: string;
  url: string;
}

/**
 * The seeds' three arguments. `data` is a ByteSource only when the caller sent a Blob or stream
 * (then it must be streamed, never read whole); otherwise bytes. `options` (timeouts, signal,
 * onProgress) is natsbridge's addition a handler may ignore.
 */
export type UploadHandler = (fileserver_url: string, dataname: string, data: Uint8Array | ByteSource, options?: UploadCallOptions) => Promise<UploadResult>;
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

/** The server's answer to a JetStream publish: the stream that stored it, its sequence, and whether it was a duplicate (same msg_id within the window). */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
  domain?: string;
}

/** smartsend's result: `[env, env_json_str]`; after a `jetstream` publish it also carries `puback` (a non-enumerable property). */
export type SendResult = [WireEnvelope, string] & { readonly puback?: PubAck };

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
  /**
   * Core NATS delivers at most once and `publish` returns before the server has the message. With
   * `confirm`, smartsend waits for a flush round trip (the server has read the message) and fails
   * with NATS_CONNECTION_FAILED when it does not come within `timeout_ms` (default 5000).
   */
  confirm?: boolean | { timeout_ms?: number };
  /** Cancels the send: uploads in flight are aborted, nothing is published; the call fails with ABORTED. */
  signal?: AbortSignal;
  /** Upload progress per link payload: `{ dataname, direction: "upload", loaded, total }`, monotonic, last = total. */
  onProgress?: ProgressListener;
  /** Upload time limits `{ headers_ms, idle_ms, total_ms }` (defaults 15 s, 15 s, 120 s), passed to the upload handler. */
  timeouts?: Timeouts;
  /**
   * Publish through JetStream: the stream covering the subject stores the envelope and smartsend
   * returns its PubAck as `result.puback`; msg_id goes as the Nats-Msg-Id header, so a resend is
   * stored once. Fails with NATS_CONNECTION_FAILED (details.reason "no_stream", "ack_timeout",
   * "rejected"). `expect` maps to nats.js's publish expectations; `retry_ms` resends (same msg_id)
   * after no_stream / ack_timeout for that long (a cluster electing a leader).
   */
  jetstream?: boolean | { timeout_ms?: number; retry_ms?: number; expect?: { stream?: string; last_msg_id?: string; last_sequence?: number; last_subject_sequence?: number } };
}

/** `signal` (from LinkReceiveOptions) cancels the receive: downloads in flight are aborted, ABORTED. */
export interface SmartreceiveOptions extends LinkReceiveOptions {
  /** Download progress per link payload (see ProgressEvent). */
  onProgress?: ProgressListener;
  /**
   * `"stream"`: link payloads of the byte types (binary, image, audio, video) come back as a
   * `ReadableStream<Uint8Array>` read at your pace, with bounded memory; size, cap and sha256 are
   * checked as it flows (an error on the stream, INTEGRITY_ERROR at its end). Default `"bytes"`.
   */
  as?: "bytes" | "stream";
  fileserver_download_handler?: DownloadHandler;
  max_retries?: number;
  base_delay?: number;
  max_delay?: number;
  log?: boolean | Logger;
}
