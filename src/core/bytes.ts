import { NatsBridgeError } from "./errors.js";

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

let encodeUtf8 = (s: string): Uint8Array => encoder.encode(s);

/**
 * Use a runtime's faster UTF-8 encoder (Node's pooled Buffer.from is about 5× TextEncoder on
 * small strings). Same bytes either way, so whichever entry loaded last may set it.
 */
export function useUtf8Encoder(encode: (s: string) => Uint8Array): void {
  encodeUtf8 = encode;
}

export const utf8Encode = (s: string): Uint8Array => encodeUtf8(s);

/** Invalid UTF-8 is an error, not U+FFFD: a replacement character would be a silently wrong value. */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (e) {
    throw new NatsBridgeError("DESERIALIZATION_ERROR", "payload is not valid UTF-8", { cause: e });
  }
}

/** The chunks joined into one fresh Uint8Array of `total` bytes (their summed length). */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Accepts Uint8Array (Buffer included), ArrayBuffer and any ArrayBufferView; returns a view, never a copy. */
export function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer) return new Uint8Array(data);
  return null;
}
