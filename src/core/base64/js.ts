/**
 * Base64 for runtimes without Buffer. Uses the native `Uint8Array.prototype.toBase64` /
 * `Uint8Array.fromBase64` (TC39 proposal, shipped in Chromium 140+, Firefox 133+, Safari 18.2+)
 * when present, otherwise a table-driven pure-JS codec.
 *
 * Why not btoa/atob: they work on "binary strings", which costs a per-byte String.fromCharCode
 * pass plus a second copy; the codec below writes ASCII bytes straight into one buffer and turns
 * it into a string with a single TextDecoder call.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** 6-bit value → ASCII code. */
const ENC = new Uint8Array(64);
/** ASCII code → 6-bit value; 0xff = not in the alphabet, 0xfe = ignorable whitespace. */
const DEC = new Uint8Array(256).fill(0xff);
for (let i = 0; i < 64; i++) {
  ENC[i] = ALPHABET.charCodeAt(i);
  DEC[ALPHABET.charCodeAt(i)] = i;
}
for (const ws of [0x09, 0x0a, 0x0c, 0x0d, 0x20]) DEC[ws] = 0xfe;

/** 12 bits → the two ASCII codes that encode them. */
const PAIR_HI = new Uint8Array(4096);
const PAIR_LO = new Uint8Array(4096);
for (let i = 0; i < 4096; i++) {
  PAIR_HI[i] = ENC[i >> 6]!;
  PAIR_LO[i] = ENC[i & 63]!;
}

/** Base64 text is ASCII, which UTF-8 decodes on its fast path. */
const ascii = new TextDecoder();

/** Pure-JS encoder: standard alphabet, `=` padding. */
export function base64EncodeJs(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const full = n - (n % 3);
  let o = 0;
  for (let i = 0; i < full; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    const hi = v >>> 12;
    const lo = v & 0xfff;
    out[o] = PAIR_HI[hi]!;
    out[o + 1] = PAIR_LO[hi]!;
    out[o + 2] = PAIR_HI[lo]!;
    out[o + 3] = PAIR_LO[lo]!;
    o += 4;
  }
  const rest = n - full;
  if (rest === 1) {
    const v = bytes[full]!;
    out[o] = ENC[v >> 2]!;
    out[o + 1] = ENC[(v & 3) << 4]!;
    out[o + 2] = 0x3d;
    out[o + 3] = 0x3d;
  } else if (rest === 2) {
    const v = (bytes[full]! << 8) | bytes[full + 1]!;
    out[o] = ENC[v >> 10]!;
    out[o + 1] = ENC[(v >> 4) & 63]!;
    out[o + 2] = ENC[(v & 15) << 2]!;
    out[o + 3] = 0x3d;
  }
  return ascii.decode(out);
}

/**
 * Pure-JS decoder. Accepts the standard alphabet with or without `=` padding and ignores ASCII
 * whitespace (the core validates before calling, this is defence in depth). Throws on anything else.
 */
export function base64DecodeJs(text: string): Uint8Array {
  const len = text.length;
  // Trailing `=` and whitespace are cut off first; what is left must be alphabet or whitespace.
  let end = len;
  let pad = 0;
  for (; end > 0; end--) {
    const c = text.charCodeAt(end - 1);
    if (c === 0x3d) pad++;
    else if (DEC[c] !== 0xfe) break;
  }
  if (pad > 2) throw new SyntaxError("base64: too much padding");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  let i = 0;
  // Unrolled loop over 4-character groups while no whitespace shows up.
  const groups = end - (end % 4);
  for (; i < groups; i += 4) {
    const a = DEC[text.charCodeAt(i)] ?? 0xff;
    const b = DEC[text.charCodeAt(i + 1)] ?? 0xff;
    const c = DEC[text.charCodeAt(i + 2)] ?? 0xff;
    const d = DEC[text.charCodeAt(i + 3)] ?? 0xff;
    if ((a | b | c | d) > 63) break; // whitespace or junk: finish in the slow loop
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >> 16;
    out[o + 1] = (v >> 8) & 0xff;
    out[o + 2] = v & 0xff;
    o += 3;
  }
  for (; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 256 ? DEC[code]! : 0xff;
    if (v === 0xfe) continue;
    if (v === 0xff) throw new SyntaxError(`base64: invalid character at offset ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits >= 6) throw new SyntaxError("base64: truncated input");
  return o === out.length ? out : out.subarray(0, o);
}

type NativeEncode = (this: Uint8Array) => string;
type NativeDecode = (text: string) => Uint8Array;

const nativeEncode = (Uint8Array.prototype as unknown as { toBase64?: NativeEncode }).toBase64;
const nativeDecode = (Uint8Array as unknown as { fromBase64?: NativeDecode }).fromBase64;

export const base64Encode: (bytes: Uint8Array) => string =
  typeof nativeEncode === "function" ? (bytes) => nativeEncode.call(bytes) : base64EncodeJs;

export const base64Decode: (text: string) => Uint8Array =
  typeof nativeDecode === "function"
    ? (text) => nativeDecode.call(Uint8Array, text)
    : base64DecodeJs;
