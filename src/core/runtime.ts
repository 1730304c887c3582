/**
 * The thin edge between the runtime-agnostic core and a concrete runtime.
 * `src/node.ts` fills it with `nats` (TCP) and Node's global fetch; `src/browser.ts` with
 * `nats.ws` and the global fetch (both NATS clients loaded on first connect). Nothing in
 * `src/core` imports Node or DOM APIs.
 */

/** What natsbridge needs of a NATS connection; typed structurally so nats.js v2, nats.ws and @nats-io/* all fit. */
export interface NatsConnectionLike {
  publish(subject: string, payload?: Uint8Array, opts?: unknown): void;
  flush?(): Promise<void>;
  /** nats.js exposes the server's INFO here; `max_payload` decides what fits in one message. */
  info?: { max_payload?: number } | undefined;
  close?(): Promise<void>;
  drain?(): Promise<void>;
  isClosed?(): boolean;
}

export type FetchLike = (input: string, init?: any) => Promise<ResponseLike>;

export interface ResponseLike {
  status: number;
  ok: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
  /** A WHATWG ReadableStream of the body where the runtime has one: downloads read it chunk by chunk. */
  body?: unknown;
  headers?: { get(name: string): string | null };
}

export interface Runtime {
  /** Open a NATS connection to `url` (nats:// for TCP, ws:// or wss:// for WebSocket). */
  connect(url: string): Promise<NatsConnectionLike>;
  fetch: FetchLike;
  /** FormData and Blob constructors that `fetch` accepts as a multipart body. */
  FormData: new () => { append(name: string, value: any, filename?: string): void };
  Blob: new (parts: any[], opts?: { type?: string }) => unknown;
  base64Encode(bytes: Uint8Array): string;
  /**
   * Decodes standard base64. It may be lenient (skip bad characters) or throw: the core checks the
   * output length against the input and re-validates strictly whenever they disagree.
   */
  base64Decode(text: string): Uint8Array;
  /**
   * Optional: copy an ASCII string into `dst` at `at`, returning the bytes written. Node's
   * latin1 write is a plain copy, several times faster than TextEncoder.encodeInto on megabytes.
   */
  writeAscii?(s: string, dst: Uint8Array, at: number): number;
  /** Optional: a faster byte search than Uint8Array#indexOf (Node's Buffer uses memchr). */
  indexOfByte?(bytes: Uint8Array, byte: number, from: number): number;
  /** Optional: bytes of a string known to be ASCII; Node's latin1 copy skips UTF-8 transcoding. */
  asciiEncode?(s: string): Uint8Array;
  /**
   * Optional: `n` bytes that need not be zeroed (every one is written before use). Node's
   * Buffer.allocUnsafe skips clearing a fresh wire buffer or decoded payload of hundreds of KB.
   */
  allocUnsafe?(n: number): Uint8Array;
  /** Optional: a faster UTF-8 encoder than TextEncoder (same bytes). */
  utf8Encode?(s: string): Uint8Array;
  /** Optional: an incremental SHA-256 (Node's crypto); without it natsbridge uses @noble/hashes. */
  sha256?(): { update(chunk: Uint8Array): void; hex(): string };
  /** Optional: true when fetch can send a ReadableStream body (`duplex: "half"`) over HTTP/1.1 (Node; browsers only over HTTP/2+). */
  streamingUploads?: boolean;
  /** Environment variable lookup (Node) or nothing (browser). */
  env(name: string): string | undefined;
}
