import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  base64DecodeBytes,
  base64EncodedLength,
  base64EncodeInto,
  simdAvailable,
} from "../../src/core/base64/wasm/index.js";
import { BASE64_WASM, BASE64_WASM_SIZE } from "../../src/core/base64/wasm/module.js";

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");

/** The rule under test: the strict regex plus right padding (unpadded length % 4 of 2 or 3 is fine). */
function referenceValid(s: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return false;
  const eq = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const n = s.length - eq;
  if (eq > 0) return s.length % 4 === 0 && n % 4 === 4 - eq;
  return n % 4 !== 1;
}

function encodeWasm(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(base64EncodedLength(src.length));
  expect(base64EncodeInto(src, dst, 0)).toBe(dst.length);
  return dst;
}

/** Decodes and checks the result against the reference rule and, when valid, Node's Buffer. */
function checkDecode(text: Uint8Array): void {
  const s = latin1(text);
  const got = base64DecodeBytes(text);
  const valid = referenceValid(s);
  if (valid !== (got !== null)) throw new Error(`${JSON.stringify(s)}: valid=${valid} but decode gave ${got === null ? "null" : "bytes"}`);
  if (got !== null) {
    const want = Buffer.from(s, "base64");
    if (!Buffer.from(got).equals(want)) throw new Error(`${JSON.stringify(s)}: decoded bytes differ from Buffer`);
  }
}

describe("base64-wasm", () => {
  it("the committed module is exactly what base64.c compiles to (Debian clang + lld)", () => {
    const out = execFileSync("bash", ["scripts/build-base64-wasm.sh", "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toContain(`matches base64.c (${BASE64_WASM_SIZE} bytes)`);
  });

  it("runs here: SIMD available, module under Chrome's 4 KB sync-compile limit", () => {
    expect(simdAvailable()).toBe(true);
    expect(BASE64_WASM_SIZE).toBeLessThanOrEqual(4096);
    expect(Buffer.from(BASE64_WASM, "base64").length).toBe(BASE64_WASM_SIZE);
  });

  it("encodes every length 0..300 exactly like Buffer, at any offset, touching nothing else", () => {
    for (let len = 0; len <= 300; len++) {
      const src = randomBytes(len);
      const want = Buffer.from(src.toString("base64"), "latin1");
      expect(Buffer.from(encodeWasm(src)).equals(want), `len ${len}`).toBe(true);
      const at = len % 7;
      const dst = new Uint8Array(at + want.length + 5).fill(0xaa);
      expect(base64EncodeInto(src, dst, at)).toBe(want.length);
      expect(Buffer.from(dst.subarray(at, at + want.length)).equals(want)).toBe(true);
      expect(dst.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
      expect(dst.subarray(at + want.length).every((b) => b === 0xaa)).toBe(true);
    }
  });

  it("decodes every length 0..300 exactly like Buffer, padded and unpadded, from offset views", () => {
    for (let len = 0; len <= 300; len++) {
      const src = randomBytes(len);
      const padded = src.toString("base64");
      const unpadded = padded.replace(/=+$/, "");
      for (const s of [padded, unpadded]) {
        const holder = ascii(`##${s}##`);
        const got = base64DecodeBytes(holder.subarray(2, 2 + s.length));
        expect(got, `len ${len} ${s.length}`).not.toBeNull();
        expect(Buffer.from(got!).equals(src), `len ${len}`).toBe(true);
      }
    }
  });

  it("round-trips big random inputs (several MB) exactly like Buffer", () => {
    for (const len of [512 * 1024, 1 << 20, 3_000_001, 5 * 1024 * 1024 + 2, 8_388_607]) {
      const src = randomBytes(len);
      const text = encodeWasm(src);
      expect(Buffer.from(text).equals(Buffer.from(src.toString("base64"), "latin1")), `encode ${len}`).toBe(true);
      const back = base64DecodeBytes(text);
      expect(back !== null && Buffer.from(back).equals(src), `decode ${len}`).toBe(true);
    }
  });

  it("survives inputs that grow memory past the retained size, then keeps working", () => {
    const src = randomBytes(40 * 1024 * 1024 + 1);
    const text = encodeWasm(src);
    expect(Buffer.from(base64DecodeBytes(text)!).equals(src)).toBe(true);
    const small = randomBytes(100);
    expect(Buffer.from(base64DecodeBytes(encodeWasm(small))!).equals(small)).toBe(true);
  });

  it("rejects every invalid byte value in every position, for lengths that hit each code path", () => {
    // Text lengths 0..28 cover the scalar tail (every position in the last group, padded and
    // unpadded); 60..88 a 16-byte SIMD block then the tail; 130..200 the 64-byte blocks.
    const byteLengths = [...Array(22).keys(), 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 64, 96, 97, 98, 99, 100, 150];
    let cases = 0;
    for (const len of byteLengths) {
      const padded = randomBytes(len).toString("base64");
      for (const s of new Set([padded, padded.replace(/=+$/, "")])) {
        const base = ascii(s);
        for (let pos = 0; pos < base.length; pos++) {
          const text = base.slice();
          for (let b = 0; b < 256; b++) {
            text[pos] = b;
            checkDecode(text);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(100_000);
  });

  it("rejects bad padding, '=' inside, length % 4 == 1, URL-safe and whitespace", () => {
    const rejected = [
      "=", "==", "===", "====", "A", "A=", "A==", "A===", "AA=", "AA===", "AAA==", "AAAA=", "AAAAA",
      "AA=A", "A=AA", "=AAA", "AA==AAAA", "AAA=AAAA", "AAAA====", "AAAA=", "AAAAAA=",
      "-_AA", "AA-_", "AAA-", "AAA_", "AAAA\n", " AAAA", "AA AA", "AAAA\r\n", "\tAAAA", "QQ==\n",
    ];
    for (const s of rejected) expect(base64DecodeBytes(ascii(s)), JSON.stringify(s)).toBeNull();
    const accepted: Record<string, number[]> = { "": [], "QQ==": [65], "QUI=": [65, 66], "QUJD": [65, 66, 67], QQ: [65], QUI: [65, 66], "QR==": [65] };
    for (const [s, bytes] of Object.entries(accepted)) expect(Array.from(base64DecodeBytes(ascii(s))!), s).toEqual(bytes);

    // The same faults anywhere in long text, where the SIMD loops run (all rejected except '='
    // in the last one or two positions, which checkDecode knows).
    const long = ascii(randomBytes(3000).toString("base64"));
    for (let pos = 0; pos < long.length; pos += 1) {
      for (const bad of [0x3d, 0x2d, 0x5f, 0x20, 0x0a, 0x0d, 0x09, 0x00, 0x80, 0xff]) {
        const t = long.slice();
        t[pos] = bad;
        checkDecode(t);
      }
    }
    expect(base64DecodeBytes(long.subarray(0, long.length - 3))).toBeNull(); // length % 4 == 1
    const padded = ascii(randomBytes(3001).toString("base64")); // ends "=="
    expect(base64DecodeBytes(padded)).not.toBeNull();
    expect(base64DecodeBytes(padded.subarray(0, padded.length - 1))).toBeNull(); // "x=" at % 4 == 3
  });

  it("agrees with the reference rule on random near-base64 text", () => {
    const alphabet = ascii("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    const noise = ascii("==-_ \n\t\r@[`{:/+.\u0000\u007f\u0080\u00ff");
    const rnd = randomBytes(4_000_000);
    let r = 0;
    const next = () => rnd[r++ % rnd.length];
    for (let iter = 0; iter < 20_000; iter++) {
      const len = (next() << 8 | next()) % 260;
      const text = new Uint8Array(len);
      for (let i = 0; i < len; i++) text[i] = alphabet[next() & 63];
      // zero to three faults, and often a padding-shaped ending
      for (let k = next() % 4; k > 0 && len > 0; k--) text[(next() << 8 | next()) % len] = noise[next() % noise.length];
      if (len > 2 && next() < 64) text[len - 1] = 0x3d;
      if (len > 2 && next() < 32) text[len - 2] = 0x3d;
      checkDecode(text);
    }
  });

  it("decodes big inputs", () => {
    const src = randomBytes(3_000_002);
    expect(Buffer.from(base64DecodeBytes(encodeWasm(src))!).equals(src)).toBe(true);
  });

  it("throws RangeError when the output does not fit", () => {
    const src = new Uint8Array(10); // 16 base64 bytes
    expect(() => base64EncodeInto(src, new Uint8Array(15), 0)).toThrow(RangeError);
    expect(() => base64EncodeInto(src, new Uint8Array(20), 5)).toThrow(RangeError);
    expect(() => base64EncodeInto(src, new Uint8Array(20), -1)).toThrow(RangeError);
    expect(base64EncodeInto(src, new Uint8Array(20), 4)).toBe(16);
  });
});
