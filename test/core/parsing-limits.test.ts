import { describe, expect, it } from "vitest";
import { smartreceive, smartsend, NatsBridgeError, type ErrorCode, type JsonValue, type SendTuple } from "../../src/node.js";
import { parseJsonText } from "../../src/core/bulk-json.js";
import { parseJson, stringifyJson } from "../../src/core/json.js";
import { MAX_JSON_DEPTH } from "../../src/core/json-walk.js";
import { expectSameBytes, randomBytes } from "../helpers/bridge-env.js";

/** Issue 8, item 8: limits and error codes of the JSON the receiver parses (docs/security.md, "Parsing limits"). */

interface Failure {
  code: ErrorCode | string;
  message: string;
}

async function failure(p: Promise<unknown>): Promise<Failure | "resolved"> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NatsBridgeError) return { code: e.code, message: e.message };
    return { code: `not a NatsBridgeError: ${e}`, message: String(e) };
  }
  return "resolved";
}

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A canonical envelope around direct payloads given as [dataname, payload_type, serialized bytes]. */
function envelope(payloads: Array<[string, string, Uint8Array | string]>, metadataJson = "{}"): string {
  const head = {
    correlation_id: "c0ffee00-0000-4000-8000-000000000001", msg_id: "m", timestamp: "2026-01-01T00:00:00Z", send_to: "limits",
    msg_purpose: "", sender_name: "", sender_id: "", receiver_name: "", receiver_id: "", reply_to: "", reply_to_msg_id: "", broker_url: "",
    metadata: "@METADATA@",
    payloads: payloads.map(([dataname, payload_type, data]) => {
      const bytes = typeof data === "string" ? utf8(data) : data;
      return { id: "p", dataname, payload_type, transport: "direct", encoding: "base64", size: bytes.byteLength, data: b64(bytes), metadata: {} };
    }),
  };
  // Spliced in as text: deep metadata cannot be built by JSON.stringify on every engine.
  return JSON.stringify(head).replace('"@METADATA@"', metadataJson);
}

/** Seeded xorshift32 numbers, so a failing document can be reproduced. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const nested = (levels: number, inner = "0") => "[".repeat(levels) + inner + "]".repeat(levels);

describe("nesting depth: a documented limit with its own message, never a stack overflow", () => {
  it(`a dictionary payload nested 6,000 levels → DESERIALIZATION_ERROR naming the ${MAX_JSON_DEPTH}-level limit`, async () => {
    const f = await failure(smartreceive(envelope([["deep", "dictionary", nested(6000)]])));
    expect(f).toMatchObject({ code: "DESERIALIZATION_ERROR" });
    expect((f as Failure).message).toMatch(new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    expect((f as Failure).message).not.toMatch(/stack|not valid JSON/);
  });

  it("envelope metadata nested 6,000 levels → INVALID_ENVELOPE naming the limit (string and bytes)", async () => {
    const text = envelope([["m", "text", "hi"]], `{"x":${nested(6000)}}`);
    for (const input of [text, utf8(text)]) {
      const f = await failure(smartreceive(input));
      expect(f).toMatchObject({ code: "INVALID_ENVELOPE" });
      expect((f as Failure).message).toMatch(new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    }
  });

  it("1,000,000 levels get the same code (JSON.parse and our walk are both iterative)", async () => {
    const f = await failure(smartreceive(envelope([["deep", "dictionary", nested(1_000_000)]])));
    expect(f).toMatchObject({ code: "DESERIALIZATION_ERROR" });
  });

  it(`exactly ${MAX_JSON_DEPTH} levels are read, one more is refused; an exact integer at the bottom stays exact`, async () => {
    const bottom = "123456789012345678901234567890";
    const ok = await smartreceive(envelope([["d", "dictionary", nested(MAX_JSON_DEPTH, bottom)]]));
    let v: unknown = ok.payloads[0]![1];
    for (let i = 0; i < MAX_JSON_DEPTH; i++) v = (v as unknown[])[0];
    expect(v).toBe(BigInt(bottom));
    const f = await failure(smartreceive(envelope([["d", "dictionary", nested(MAX_JSON_DEPTH + 1, bottom)]])));
    expect(f).toMatchObject({ code: "DESERIALIZATION_ERROR" });
  });

  it("smartsend writes what receivers read: the limit applies to sending too (SERIALIZATION_ERROR)", async () => {
    const deep = (levels: number): JsonValue[] => {
      let v: JsonValue[] = [1];
      for (let i = 1; i < levels; i++) v = [v];
      return v;
    };
    const [, json] = await smartsend("limits", [["d", deep(MAX_JSON_DEPTH), "dictionary"]], { is_publish: false });
    expect((await smartreceive(json)).payloads[0]![1]).toEqual(deep(MAX_JSON_DEPTH));
    const tooDeep: SendTuple[] = [["d", deep(6000), "dictionary"], ["t", [{ a: deep(MAX_JSON_DEPTH) }], "jsontable"]];
    for (const tuple of tooDeep) {
      const f = await failure(smartsend("limits", [tuple], { is_publish: false }));
      expect(f).toMatchObject({ code: "SERIALIZATION_ERROR" });
      expect((f as Failure).message).toMatch(/deeper than/);
    }
  });

  it("a cycle in data to send is still reported as not serializable, not as too deep", async () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const f = await failure(smartsend("limits", [["d", cyclic, "dictionary"]], { is_publish: false }));
    expect(f).toMatchObject({ code: "SERIALIZATION_ERROR" });
    expect((f as Failure).message).toMatch(/not JSON-serializable/);
  });
});

describe("exact integers next to long strings", () => {
  it("an integer above 2^53 with an 8 MiB string in the same payload decodes exactly", async () => {
    const s = "a".repeat(8 << 20);
    const got = await smartreceive(envelope([["d", "dictionary", `{"n":9007199254740993,"s":"${s}"}`]]));
    const v = got.payloads[0]![1] as { n: bigint; s: string };
    expect(v.n).toBe(9007199254740993n);
    expect(v.s.length).toBe(s.length);
  });

  it("long strings full of escapes, quotes and digits are skipped, integers outside them found", () => {
    const s = '\\"12345678901234567890\\\\'.repeat(400_000);
    const v = parseJson(`{"s":"${s}","n":-12345678901234567890,"t":"\\\\","m":12345678901234567890}`) as Record<string, unknown>;
    expect(v.n).toBe(-12345678901234567890n);
    expect(v.m).toBe(12345678901234567890n);
    expect(v.t).toBe("\\");
    expect((v.s as string).length).toBe(JSON.parse(`"${s}"`).length);
    // Exponent and fraction literals are doubles by JSON's own reading, exact or not.
    expect(parseJson("[1e20,-12345678901234567890.0,12345678901234567890]")).toEqual([1e20, -12345678901234567890, 12345678901234567890n]);
    expect(parseJson('{"a":1e300}')).toEqual({ a: 1e300 });
  });

  it("matches the value it was written from, for random documents mixing both (seeded)", () => {
    const next = xorshift(8);
    const pick = <T>(xs: T[]) => xs[next() % xs.length]!;
    const scalar = (): unknown =>
      pick<() => unknown>([
        () => BigInt(next()) * 10_000_000_000n + BigInt(next() % 1000),
        () => -(BigInt(next()) * 100_000_000_000n),
        () => next() % 1_000_000,
        () => (next() % 1000) / 8,
        () => pick(['"', "\\", "\\\"", "9007199254740993", "a\"b\\\\c", "é\u2028\n", ""]).repeat(next() % 5),
        () => 9007199254740991,
        () => null,
        () => next() % 2 === 0,
      ])();
    const value = (depth: number): unknown => {
      if (depth > 4 || next() % 3 === 0) return scalar();
      const n = next() % 5;
      if (next() % 2 === 0) return Array.from({ length: n }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [pick(["k", '"q"', "9007199254740993", "\\"]) + i, value(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const v = value(0);
      expect(parseJson(stringifyJson(v))).toEqual(v);
    }
  });
});

describe("base64 strings: one rule at every size", () => {
  const SMALL = 600;
  const LARGE = 60_000; // above the 16 KB from which bulk-json cuts the data out of the text

  /** The envelope with `insert` placed inside the payload's base64, 40 characters in. */
  function withInsert(n: number, insert: string): string {
    const text = envelope([["b", "binary", randomBytes(n, n)]]);
    const at = text.indexOf('"data":"') + 8 + 40;
    return text.slice(0, at) + insert + text.slice(at);
  }

  for (const n of [SMALL, LARGE]) {
    it(`${n} bytes: every raw control character (TAB, CR, LF included) → INVALID_ENVELOPE, from a string and from bytes`, async () => {
      for (let c = 0; c < 0x20; c++) {
        const text = withInsert(n, String.fromCharCode(c));
        for (const input of [text, utf8(text)]) {
          const f = await failure(smartreceive(input));
          expect(f, `U+${c.toString(16)} ${typeof input}`).toMatchObject({ code: "INVALID_ENVELOPE" });
          expect((f as Failure).message).toMatch(/not valid JSON/);
        }
      }
    });

    it(`${n} bytes: whitespace written as JSON escapes or as raw spaces is ignored, as documented`, async () => {
      for (const insert of ["\\r\\n", "\\n", "\\t", " ", "  \\r\\n  "]) {
        const text = withInsert(n, insert);
        for (const input of [text, utf8(text)]) {
          const got = await smartreceive(input);
          expectSameBytes(got.payloads[0]![1], randomBytes(n, n));
        }
      }
    });

    it(`${n} bytes: a character outside the alphabet in valid JSON → DESERIALIZATION_ERROR`, async () => {
      for (const insert of ["*", "-", "é", "\\u0000"]) {
        const text = withInsert(n, insert);
        for (const input of [text, utf8(text)]) {
          expect(await failure(smartreceive(input)), JSON.stringify(insert)).toMatchObject({ code: "DESERIALIZATION_ERROR" });
        }
      }
    });
  }
});

describe("text that is not JSON is INVALID_ENVELOPE, whichever parse path reads it", () => {
  it("2,000 single-byte mutations of a large and a small envelope (seeded), JSON.parse as the oracle", async () => {
    const next = xorshift(2026);
    const strict = new TextDecoder("utf-8", { fatal: true });
    let invalid = 0;
    for (const n of [30_000, 300]) {
      const base = utf8(envelope([["b", "binary", randomBytes(n, 3)], ["d", "dictionary", '{"k":[1,2]}']]));
      for (let i = 0; i < 1000; i++) {
        const bytes = base.slice();
        // Half the mutations land in the first payload's base64, where the bulk cut works.
        const at = i % 2 === 0 ? next() % bytes.length : 500 + (next() % Math.min(n, 20_000));
        bytes[at] = next() % 256;
        let text: string | undefined;
        try {
          text = strict.decode(bytes);
          JSON.parse(text);
          continue;
        } catch {
          invalid++;
        }
        // As bytes, and as a string whenever the bytes are still UTF-8.
        for (const input of text === undefined ? [bytes] : [bytes, text]) {
          const f = await failure(smartreceive(input));
          expect(f, `byte ${bytes[at]} at ${at} of ${n}, ${typeof input}`).toMatchObject({ code: "INVALID_ENVELOPE" });
        }
      }
    }
    expect(invalid).toBeGreaterThan(100);
  });
});

describe("string input with many large payloads is read in linear time", () => {
  /**
   * Characters examined by String.prototype.indexOf/lastIndexOf while parseJsonText runs: a
   * count of work, not a time. The patch is in place only for one synchronous call.
   */
  function charsSearched(text: string): number {
    const proto = String.prototype;
    const { indexOf, lastIndexOf } = proto;
    let work = 0;
    proto.indexOf = function (this: string, search: string, from = 0) {
      const r = indexOf.call(this, search, from);
      work += r < 0 ? this.length - from : r - from + search.length;
      return r;
    };
    proto.lastIndexOf = function (this: string, search: string, from = Infinity) {
      const start = Math.min(from, this.length);
      const r = lastIndexOf.call(this, search, start);
      work += r < 0 ? start : start - r;
      return r;
    };
    try {
      expect(parseJsonText(text).bulk.size).toBeGreaterThan(0);
    } finally {
      proto.indexOf = indexOf;
      proto.lastIndexOf = lastIndexOf;
    }
    return work;
  }

  const manyPayloads = (n: number) => envelope(Array.from({ length: n }, (_, i) => [`p${i}`, "binary", randomBytes(20_000, i + 1)] as [string, string, Uint8Array]));

  it("the text is searched about once, whatever the number of payloads", () => {
    for (const n of [10, 100, 300]) {
      const text = manyPayloads(n);
      expect(charsSearched(text), `${n} payloads`).toBeLessThanOrEqual(3 * text.length);
    }
  });

  it("and the payloads come back exact", async () => {
    const text = manyPayloads(300);
    const got = await smartreceive(text);
    expect(got.payloads).toHaveLength(300);
    got.payloads.forEach(([, bytes], i) => expectSameBytes(bytes, randomBytes(20_000, i + 1)));
  });

  it("a backslash in one payload's data does not hide the runs after it from being cut", () => {
    const text = manyPayloads(3);
    const at = text.indexOf('"data":"') + 100;
    const withEscape = text.slice(0, at) + "\\n" + text.slice(at);
    const { bulk } = parseJsonText(withEscape);
    expect(bulk.size).toBe(2);
  });
});

describe("envelope metadata on send", () => {
  it("is held to the same JSON rules as payloads: too deep or NaN is SERIALIZATION_ERROR, nothing is built", async () => {
    let deep: unknown = {};
    for (let i = 0; i < 1500; i++) deep = { d: deep };
    await expect(smartsend("s", [["t", "x", "text"]], { is_publish: false, metadata: { deep } })).rejects.toMatchObject({ code: "SERIALIZATION_ERROR" });
    await expect(smartsend("s", [["t", "x", "text"]], { is_publish: false, metadata: { n: Number.NaN } })).rejects.toMatchObject({ code: "SERIALIZATION_ERROR" });
    const [env] = await smartsend("s", [["t", "x", "text"]], { is_publish: false, metadata: { ok: { a: [1, 2] } } });
    expect(env.metadata).toEqual({ ok: { a: [1, 2] } });
  });
});
