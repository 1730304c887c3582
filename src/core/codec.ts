import { decodeBase64Strict } from "./base64/strict.js";
import { bytesBase64 } from "./base64/bytes-codec.js";
import { decodeBulkRun, parseJsonBytes, parseJsonText, decodeText, type BulkParse } from "./bulk-json.js";
import { buildEnvelope, directPayload, type EnvelopeHeader, type WirePayload } from "./envelope.js";
import { stringifyJson } from "./json.js";
import type { Runtime } from "./runtime.js";
import { encodeAsciiInto, layoutEnvelope, lazyDirectPayload, type WireLayout } from "./wire.js";

/**
 * How envelopes become bytes and messages become values: the one seam behind which fast paths
 * live. `plainCodec` is the reference (JSON.stringify / JSON.parse and the runtime's base64);
 * `fastCodec` must give the same bytes and the same values (test/core/codec.test.ts holds the two
 * side by side). The entry file chooses; the core never asks which one it has.
 */
export interface Codec {
  readonly name: string;
  /** A direct payload carrying `bytes` as base64. */
  directPayload(id: string, dataname: string, payload_type: string, bytes: Uint8Array): WirePayload;
  /** The envelope as published bytes and as JSON text: exactly JSON.stringify(buildEnvelope(header, payloads)). */
  layout(header: EnvelopeHeader, payloads: readonly WirePayload[]): WireLayout;
  /**
   * A message's JSON value. `bulk` maps placeholder strings to long direct `data` that was cut out
   * before parsing (its base64 text, or the decoded bytes); `plain: true` asks for no cutting.
   */
  parse(message: Uint8Array | string, plain?: boolean): BulkParse;
  /** Strict base64 (docs/wire-format.md); null when the text is not base64. */
  decodeBase64(text: string): Uint8Array | null;
  /** A base64 run `parse` cut out of the message text: raw JSON text, so a raw control character is INVALID_ENVELOPE. */
  decodeCutRun(run: string): Uint8Array | null;
}

const utf8 = new TextEncoder();

export function plainCodec(runtime: Pick<Runtime, "base64Encode" | "base64Decode">): Codec {
  return {
    name: "plain",
    directPayload: (id, dataname, payload_type, bytes) => directPayload(id, dataname, payload_type, bytes.byteLength, runtime.base64Encode(bytes)),
    layout(header, payloads) {
      const json = stringifyJson(buildEnvelope(header, payloads as WirePayload[]));
      const bytes = utf8.encode(json);
      return { byteLength: bytes.byteLength, bytes: () => bytes, json: () => json, jsonIsCostly: false };
    },
    parse: (message) => parseJsonText(typeof message === "string" ? message : decodeText(message), true),
    decodeBase64: (text) => decodeBase64Strict(text, runtime.base64Decode),
    decodeCutRun: (run) => decodeBulkRun(run, runtime.base64Decode),
  };
}

/** From this size a direct payload's base64 is written straight into the wire (when the wasm codec runs here). */
const LAZY_ABOVE = 16 * 1024;

const indexOfByteDefault = (b: Uint8Array, byte: number, from: number) => b.indexOf(byte, from);

/**
 * The measured wins (docs/performance.md): the header written field by field, large base64 kept
 * out of JS strings and out of JSON.parse by the WebAssembly codec, and the runtime's faster
 * copies (Node's latin1 writes, memchr, unzeroed buffers) where it has them.
 */
export function fastCodec(runtime: Runtime): Codec {
  const io = {
    writeAscii: runtime.writeAscii ?? encodeAsciiInto,
    encodeAscii: runtime.asciiEncode,
    alloc: runtime.allocUnsafe,
    // The wasm codec is probed on first use, not at import (a page's CSP may forbid WebAssembly).
    get encodeBase64Into() {
      return bytesBase64()?.encodeInto;
    },
  };
  const indexOfByte = runtime.indexOfByte ?? indexOfByteDefault;
  let decodeBytes: ((ascii: Uint8Array) => Uint8Array | null) | null | undefined;
  const bytesDecoder = () => {
    if (decodeBytes === undefined) {
      const codec = bytesBase64();
      decodeBytes = codec && ((ascii: Uint8Array) => codec.decode(ascii, runtime.allocUnsafe));
    }
    return decodeBytes;
  };
  return {
    name: "fast",
    directPayload: (id, dataname, payload_type, bytes) =>
      bytes.byteLength >= LAZY_ABOVE && io.encodeBase64Into
        ? lazyDirectPayload(id, dataname, payload_type, bytes, runtime.base64Encode)
        : directPayload(id, dataname, payload_type, bytes.byteLength, runtime.base64Encode(bytes)),
    layout: (header, payloads) => layoutEnvelope(header, payloads, stringifyJson, io),
    parse(message, plain = false) {
      if (typeof message === "string") return parseJsonText(message, plain);
      return (plain ? null : parseJsonBytes(message, bytesDecoder(), indexOfByte)) ?? parseJsonText(decodeText(message), plain);
    },
    decodeBase64: (text) => decodeBase64Strict(text, runtime.base64Decode),
    decodeCutRun: (run) => decodeBulkRun(run, runtime.base64Decode),
  };
}
