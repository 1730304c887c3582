import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { base64DecodeJs, base64EncodeJs } from "../../src/core/base64/js.js";
import { decodeBase64Strict } from "../../src/core/base64/strict.js";

// The pure-JS codec is what old browsers use; Node 20 has no Uint8Array.fromBase64, so this is
// also what runs here. The native path is exercised in Chromium by test/browser/e2e.test.ts.
describe("browser pure-JS base64", () => {
  it("matches Buffer for every length 0..300 and a few large sizes", () => {
    for (const n of [...Array.from({ length: 301 }, (_, i) => i), 65_535, 1_000_001]) {
      const bytes = new Uint8Array(randomBytes(n));
      const b64 = base64EncodeJs(bytes);
      expect(b64).toBe(Buffer.from(bytes).toString("base64"));
      expect(Buffer.from(base64DecodeJs(b64)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it("decodes without padding and with ASCII whitespace (MicroPython's b2a_base64 newline)", () => {
    expect(new TextDecoder().decode(base64DecodeJs("aGVsbG8"))).toBe("hello");
    expect(new TextDecoder().decode(base64DecodeJs("aGVs\nbG8=\n"))).toBe("hello");
    expect(new TextDecoder().decode(base64DecodeJs(" aG Vs bG 8= "))).toBe("hello");
    expect(base64DecodeJs("")).toEqual(new Uint8Array(0));
    const big = new Uint8Array(randomBytes(10_000));
    const wrapped = Buffer.from(big).toString("base64").replace(/.{76}/g, "$&\r\n");
    expect(Buffer.from(base64DecodeJs(wrapped)).equals(Buffer.from(big))).toBe(true);
  });

  it("rejects characters outside the standard alphabet and truncated input", () => {
    expect(() => base64DecodeJs("aGVs*G8=")).toThrow(SyntaxError);
    expect(() => base64DecodeJs("aGVs-G8_")).toThrow(SyntaxError);
    expect(() => base64DecodeJs("aGVsbG8é")).toThrow(SyntaxError);
    expect(() => base64DecodeJs("a")).toThrow(SyntaxError);
    expect(() => base64DecodeJs("aGVsbG8===")).toThrow(SyntaxError);
  });

  // Speed is the bench's business; this only proves 8 MB goes through (a quadratic or
  // stack-bound implementation would hit the test timeout or throw RangeError).
  it("round-trips 8 MB", () => {
    const bytes = new Uint8Array(randomBytes(8 << 20));
    const back = base64DecodeJs(base64EncodeJs(bytes));
    expect(back.length).toBe(bytes.length);
    expect(Buffer.compare(back, bytes)).toBe(0);
  });
});

describe("pure-JS decoder under the core's strict check (decodeBase64Strict)", () => {
  it("accepts what Buffer accepts and rejects what the wire format rejects", () => {
    const hello = (t: string) => {
      const out = decodeBase64Strict(t, base64DecodeJs);
      return out === null ? null : new TextDecoder().decode(out);
    };
    expect(hello("aGVsbG8=")).toBe("hello");
    expect(hello("aGVsbG8")).toBe("hello");
    expect(hello("aGVs\nbG8=\n")).toBe("hello");
    expect(hello("aGVs-G8_")).toBeNull();
    expect(hello("aGVs*G8=")).toBeNull();
    expect(hello("aGVsbG8===")).toBeNull();
    expect(hello("a")).toBeNull();
  });
});
