import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { smartsend, WireEnvelopeSchema } from "../../src/node.js";
import { parseCanonicalEnvelope } from "../../src/core/envelope.js";
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
      const canonical = parseCanonicalEnvelope(input);
      const schema = WireEnvelopeSchema.safeParse(input);
      if (canonical === null) continue;
      fast++;
      expect(schema.success, JSON.stringify(input).slice(0, 200)).toBe(true);
      expect(canonical).toEqual(schema.data);
    }
    // The fast path must really be taken for what natsbridge itself sends.
    expect(fast).toBeGreaterThanOrEqual(generated.length);
    expect(inputs.length - fast).toBeGreaterThan(20);
  });
});
