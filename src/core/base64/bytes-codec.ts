import { base64DecodeBytes, base64EncodeInto, simdAvailable } from "./wasm/index.js";

/**
 * The WebAssembly SIMD base64 codec when this runtime can run it, else null. Probed once, on first
 * use rather than at import: an engine without SIMD, or a page whose Content-Security-Policy
 * forbids WebAssembly, simply keeps the string-based path.
 */
export interface BytesBase64 {
  encodeInto(src: Uint8Array, dst: Uint8Array, at: number): number;
  /** Strict; null when the bytes are not standard base64. */
  decode(src: Uint8Array, alloc?: (n: number) => Uint8Array): Uint8Array | null;
}

let probed: BytesBase64 | null | undefined;

export function bytesBase64(): BytesBase64 | null {
  if (probed === undefined) {
    try {
      if (!simdAvailable()) throw new Error("no WebAssembly SIMD");
      const out = new Uint8Array(4);
      base64EncodeInto(new Uint8Array([0x66, 0x6f, 0x6f]), out, 0);
      if (String.fromCharCode(...out) !== "Zm9v") throw new Error("codec self-check failed");
      probed = { encodeInto: base64EncodeInto, decode: base64DecodeBytes };
    } catch {
      probed = null;
    }
  }
  return probed;
}
