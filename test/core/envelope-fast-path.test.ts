import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { smartsend, smartreceive } from "../../src/node.js";
import { isCanonicalEnvelope, parseEnvelope, parseEnvelopeBySchema } from "../../src/core/envelope.js";
import { parseJson } from "../../src/core/json.js";
import { vectorsDir } from "../../conformance/lib/vectors.js";
import { randomBytes } from "../helpers/bridge-env.js";

/** Every envelope-shaped JSON text in the conformance vectors: what real peers send, good and bad. */
function vectorMessages(): unknown[] {
  const out: unknown[] = [];
  for (const f of readdirSync(vectorsDir).filter((n) => n.endsWith(".json"))) {
    for (const v of JSON.parse(readFileSync(join(vectorsDir, f), "utf8")).vectors) {
      const text = v.message?.text ?? v.envelope_json;
      if (typeof text !== "string") continue;
      try {
        out.push(parseJson(text));
      } catch {
        // not JSON: a reject vector for the parser, not for the schema
      }
    }
  }
  return out;
}

/** Variations on a canonical envelope, each a way a peer could deviate from it. */
function mutations(base: any): unknown[] {
  const clone = () => JSON.parse(JSON.stringify(base));
  const m: Array<(e: any) => void> = [
    () => {},
    (e) => (e.reply_to = null),
    (e) => delete e.sender_id,
    (e) => (e.extra = "ignored"),
    (e) => (e.payloads[0].extra = 1),
    (e) => (e.msg_id = 5),
    (e) => (e.timestamp = "2026-03-13T07:02:50Z"),
    (e) => (e.timestamp = "2026-03-13"),
    (e) => (e.metadata = null),
    (e) => (e.metadata = []),
    (e) => delete e.payloads[0].metadata,
    (e) => (e.payloads[0].size = 1.5),
    (e) => (e.payloads[0].size = -1),
    (e) => (e.payloads[0].size = 2 ** 60),
    (e) => (e.payloads[0].size = "3"),
    (e) => (e.payloads[0].encoding = null),
    (e) => ((e.payloads[0].type = e.payloads[0].payload_type), delete e.payloads[0].payload_type),
    (e) => (e.payloads[0].type = "table"),
    (e) => (e.payloads[0].id = null),
    (e) => (e.payloads = {}),
    (e) => (e.payloads = [null]),
    (e) => (e.payloads = []),
    (e) => (e.metadata = { nested: { a: [1, 2] } }),
  ];
  return m.map((f) => {
    const e = clone();
    f(e);
    return e;
  });
}

describe("the hand-checked canonical envelope path", () => {
  it("accepts only what the zod schema accepts, and returns exactly what it returns", async () => {
    const generated = [];
    for (const [type, value] of [["text", "hi"], ["binary", randomBytes(100)], ["dictionary", { a: 1n << 70n }], ["jsontable", [{ a: 1 }]]] as const) {
      const [, json] = await smartsend("fast.path", [["p", value, type as never]] as never, { is_publish: false, metadata: { k: "v" } });
      generated.push(parseJson(json));
    }
    const inputs = [...vectorMessages(), ...generated, ...generated.flatMap(mutations), 42, null, [], "x"];
    let fast = 0;
    for (const input of inputs) {
      if (!isCanonicalEnvelope(input)) continue;
      fast++;
      const bySchema = parseEnvelopeBySchema(input);
      expect(parseEnvelope(input)).toEqual(bySchema);
      // Owned: the very object, checked and returned as it is; the same value as the schema's.
      const owned = JSON.parse(JSON.stringify(input, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
      expect(parseEnvelope(owned, true)).toBe(owned);
    }
    // The fast path must really be taken for what natsbridge itself sends.
    expect(fast).toBeGreaterThanOrEqual(generated.length);
    expect(inputs.length - fast).toBeGreaterThan(20);
  });
});

describe("fields natsbridge does not know", () => {
  it("are kept on both paths (the seeds hand back the parsed object with only the payloads replaced)", async () => {
    const [, json] = await smartsend("extra", [["m", "hi", "text"]], { is_publish: false });
    const canonical = JSON.parse(json);
    canonical.error = { code: "E42", message: "remote failure", details: { why: 1 } };
    canonical.x_custom = [1, 2];
    const fast = await smartreceive(JSON.stringify(canonical));
    expect(fast.error).toEqual(canonical.error);
    expect(fast.x_custom).toEqual([1, 2]);
    const loose = { ...canonical, reply_to: null }; // not canonical: the schema path
    expect(isCanonicalEnvelope(loose)).toBe(false);
    const slow = await smartreceive(JSON.stringify(loose));
    expect(slow.error).toEqual(canonical.error);
    expect(slow.reply_to).toBe("");
    expect(slow.payloads).toEqual([["m", "hi", "text"]]);
  });

  it("an object handed to smartreceive is not changed", async () => {
    const [, json] = await smartsend("extra", [["m", "hi", "text"]], { is_publish: false });
    const obj = JSON.parse(json);
    const before = JSON.stringify(obj);
    const got = await smartreceive(obj);
    expect(got.payloads).toEqual([["m", "hi", "text"]]);
    expect(JSON.stringify(obj)).toBe(before);
  });

  it("a metadata key __proto__ stays an own key on both paths and sets no prototype (issue 8 item 7)", async () => {
    const [, json] = await smartsend("proto", [["m", "hi", "text"]], { is_publish: false });
    const withProto = json.replace('"metadata":{}', '"metadata":{"__proto__":{"isAdmin":true},"k":1}');
    for (const text of [withProto, withProto.replace('"reply_to":""', '"reply_to":null')]) {
      const env = await smartreceive(text);
      expect(Object.keys(env.metadata)).toEqual(["__proto__", "k"]);
      expect((env.metadata as any).isAdmin).toBeUndefined();
      expect(Object.getPrototypeOf(env.metadata)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(env.metadata, "__proto__")?.value).toEqual({ isAdmin: true });
    }
  });
});
