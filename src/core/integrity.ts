import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import type { Runtime } from "./runtime.js";

/**
 * SHA-256 of link payloads (issue 9): smartsend writes it into the payload's metadata as `sha256`
 * (lowercase hex; peers that do not know the key ignore it) and smartreceive checks it while the
 * bytes arrive. One pass over the bytes: a whole buffer goes to WebCrypto where it exists, a stream
 * is hashed chunk by chunk as it is read — with the runtime's own hasher (Node's crypto) or, where
 * there is none (browsers: WebCrypto has no incremental API), @noble/hashes.
 */
export interface IncrementalHash {
  update(chunk: Uint8Array): void;
  /** Lowercase hex. */
  hex(): string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
export const toHex = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!];
  return s;
};

export function incrementalSha256(runtime: Pick<Runtime, "sha256">): IncrementalHash {
  if (runtime.sha256) return runtime.sha256();
  const h = nobleSha256.create();
  return { update: (c) => void h.update(c), hex: () => toHex(h.digest()) };
}

/** SHA-256 of bytes in memory: WebCrypto where the runtime has it (browsers only in secure contexts), else incrementally. */
export async function sha256Hex(runtime: Pick<Runtime, "sha256">, bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle && !runtime.sha256) return toHex(new Uint8Array(await subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
  const h = incrementalSha256(runtime);
  h.update(bytes);
  return h.hex();
}

/** `metadata.sha256` as a receiver accepts it: 64 hex digits, either case. */
export const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
