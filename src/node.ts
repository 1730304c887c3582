/**
 * Node entry: the core wired to `nats` (TCP, loaded on first connect) and Node's global fetch.
 */
import { createHash } from "node:crypto";
import { createBridge as createCoreBridge, type Bridge, type BridgeOptions } from "./core/bridge.js";
import { fastCodec } from "./core/codec.js";
import { connectorMissing } from "./core/connector.js";
import { streamRequest } from "./node-stream-request.js";
import type { FetchLike, Runtime } from "./core/runtime.js";

export * from "./core/index.js";

/**
 * `nats` is loaded the first time natsbridge opens a connection itself (issue 12): importing
 * natsbridge stays cheap, and an app that passes `nats_connection` (e.g. from
 * `@nats-io/transport-node` v3) never loads it and need not install it (an optional peer).
 */
async function loadNats(url: string): Promise<typeof import("nats")> {
  try {
    return await import("nats");
  } catch (e) {
    throw connectorMissing("nats", url, e);
  }
}

/**
 * Node 20+ has fetch, FormData and Blob built in (undici inside), looked up at call time so
 * importing natsbridge loads no HTTP client. Only `node --no-experimental-fetch` removes them.
 */
function httpGlobal<K extends "fetch" | "FormData">(name: K): (typeof globalThis)[K] {
  const value = globalThis[name];
  if (value === undefined) throw new Error(`natsbridge needs the global ${name} of Node 20+ (was it disabled with --no-experimental-fetch?)`);
  return value;
}

/** A streamed request body goes through node:http, which honours backpressure (node-stream-request.ts). */
const fetchGlobal: FetchLike = (input, init) =>
  init?.body instanceof ReadableStream ? streamRequest(input, init) : (httpGlobal("fetch")(input, init) as never);

export const nodeRuntime: Runtime = {
  connect: async (url) => (await loadNats(url)).connect({ servers: url, name: "natsbridge" }) as never,
  fetch: fetchGlobal,
  get FormData() {
    return httpGlobal("FormData");
  },
  Blob: globalThis.Blob,
  base64Encode: (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64"),
  // The core has already validated the text (Buffer would skip bad characters silently).
  base64Decode: (s) => {
    const buf = Buffer.from(s, "base64");
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
  utf8Encode: (s) => Buffer.from(s, "utf8"),
  asciiEncode: (s) => Buffer.from(s, "latin1"),
  // A plain Uint8Array view, like every other byte array natsbridge hands out.
  allocUnsafe: (n) => {
    const b = Buffer.allocUnsafe(n);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  },
  indexOfByte: (b, byte, from) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).indexOf(byte, from),
  writeAscii: (s, dst, at) => Buffer.from(dst.buffer, dst.byteOffset, dst.byteLength).write(s, at, "latin1"),
  sha256: () => {
    const h = createHash("sha256");
    return { update: (c) => void h.update(c), hex: () => h.digest("hex") };
  },
  streamingUploads: true,
  env: (name) => process.env[name],
};

/** A bridge of its own (own serializers, policy, logger, defaults), on this runtime unless told otherwise. */
export const createBridge = (options: BridgeOptions = {}): Bridge =>
  createCoreBridge({ runtime: nodeRuntime, codec: fastCodec(options.runtime ?? nodeRuntime), ...options });

/** The bridge behind the package's top-level functions. */
export const bridge: Bridge = createBridge();

export const {
  smartsend, smartreceive, smartrequest, smartreply, consume, close, plikOneshotUpload, createPlikUploadHandler, fetchWithBackoff,
  registerSerializer, unregisterSerializer, getSerializer, payloadTypes, setLogger,
} = bridge;
