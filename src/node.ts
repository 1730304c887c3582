/**
 * Node entry: the core wired to `nats` (TCP) and `undici` (HTTP).
 */
import { connect } from "nats";
import { fetch, FormData } from "undici";
import { createBridge as createCoreBridge, type Bridge, type BridgeOptions } from "./core/bridge.js";
import { fastCodec } from "./core/codec.js";
import type { Runtime } from "./core/runtime.js";

export * from "./core/index.js";

export const nodeRuntime: Runtime = {
  connect: (url) => connect({ servers: url, name: "natsbridge" }) as never,
  fetch: fetch as never,
  FormData: FormData as never,
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
  env: (name) => process.env[name],
};

/** A bridge of its own (own serializers, policy, logger, defaults), on this runtime unless told otherwise. */
export const createBridge = (options: BridgeOptions = {}): Bridge => createCoreBridge({ runtime: nodeRuntime, codec: fastCodec(options.runtime ?? nodeRuntime), ...options });

/** The bridge behind the package's top-level functions. */
export const bridge: Bridge = createBridge();

export const {
  smartsend, smartreceive, consume, close, plikOneshotUpload, createPlikUploadHandler, fetchWithBackoff,
  registerSerializer, unregisterSerializer, getSerializer, payloadTypes, setLogger,
} = bridge;
