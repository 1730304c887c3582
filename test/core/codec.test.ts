import { describe, expect, it } from "vitest";
import { fastCodec, plainCodec, nodeRuntime } from "../../src/node.js";
import { buildEnvelope, linkPayload, type EnvelopeHeader, type WirePayload } from "../../src/core/envelope.js";
import { stringifyJson } from "../../src/core/json.js";
import { randomBytes } from "../helpers/bridge-env.js";

/**
 * The fast codec is held to the plain one (JSON.stringify / JSON.parse / the runtime's base64):
 * the same bytes out and the same values in, for envelopes of every shape the wire writer and the
 * base64 cut handle differently (small, large, non-ASCII, escapes, bigint metadata, many payloads).
 */
const plain = plainCodec(nodeRuntime);
const fast = fastCodec(nodeRuntime);

let seed = 7;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
const pick = <T>(xs: T[]) => xs[rnd(xs.length)]!;
const STRINGS = ["", "plain", "Zoë", "文件", 'q"uote', "back\\slash", "tab\there", "nl\n", "\u0001ctl", "emoji 😀", "x".repeat(70_000)];
const SIZES = [0, 1, 2, 3, 100, 16 * 1024 - 1, 16 * 1024, 50_000, 200_000];

function randomEnvelope(codec: typeof fast): { header: EnvelopeHeader; payloads: WirePayload[] } {
  const header: EnvelopeHeader = {
    correlation_id: pick(STRINGS), msg_id: "m", timestamp: "2026-12-02T08:00:00.000Z", send_to: "subj", msg_purpose: pick(STRINGS),
    sender_name: pick(STRINGS), sender_id: "s", receiver_name: pick(STRINGS), receiver_id: "", reply_to: pick(STRINGS), reply_to_msg_id: "",
    broker_url: "nats://h:1", metadata: pick([{}, { k: pick(STRINGS) }, { big: 12345678901234567890n, n: [1, 2.5, null] }]),
  };
  const payloads: WirePayload[] = [];
  for (let i = rnd(4); i >= 0; i--) {
    const id = `id-${i}`;
    if (rnd(3) === 0) payloads.push(linkPayload(id, pick(STRINGS), "binary", 10, `http://h/${encodeURIComponent(pick(STRINGS))}`, pick([{}, { sha256: "ab" }])));
    else payloads.push(codec.directPayload(id, pick(STRINGS), pick(["binary", "text", "image"]), randomBytes(pick(SIZES), rnd(1000))));
  }
  return { header, payloads };
}

describe("fast codec ≡ plain codec", () => {
  it("writes the same bytes and JSON text as JSON.stringify for 200 random envelopes", () => {
    for (let n = 0; n < 200; n++) {
      const s0 = seed;
      const a = randomEnvelope(fast);
      seed = s0;
      const b = randomEnvelope(plain);
      const fl = fast.layout(a.header, a.payloads);
      const pl = plain.layout(b.header, b.payloads);
      expect(fl.byteLength).toBe(pl.byteLength);
      expect(Buffer.from(fl.bytes()).equals(Buffer.from(pl.bytes()))).toBe(true);
      expect(fl.json()).toBe(pl.json());
      expect(pl.json()).toBe(stringifyJson(buildEnvelope(b.header, b.payloads)));
    }
  });

  it("parses what it wrote to the same value (bulk data stands in for the cut base64)", () => {
    for (let n = 0; n < 100; n++) {
      const { header, payloads } = randomEnvelope(fast);
      const bytes = fast.layout(header, payloads).bytes();
      const p = plain.parse(bytes);
      const f = fast.parse(bytes);
      expect(p.bulk.size).toBe(0);
      const restored = JSON.parse(JSON.stringify(f.value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)), (_k, v) => {
        const cut = typeof v === "string" ? f.bulk.get(v) : undefined;
        return cut === undefined ? v : typeof cut === "string" ? cut : Buffer.from(cut).toString("base64");
      });
      const want = JSON.parse(JSON.stringify(p.value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)));
      expect(restored).toEqual(want);
    }
  });

  it("decodes base64 with the same strictness", () => {
    for (const t of ["", "QQ==", "QQ", "QUJD", "QUJ", "Q", "QQ=", "Q===", "QU JD", "QUJD\n", "QUJD\r\n", "-_-_", "QUJD\t", "QU=D", "é"]) {
      const a = plain.decodeBase64(t);
      const b = fast.decodeBase64(t);
      expect(b === null ? null : Buffer.from(b).toString("hex"), JSON.stringify(t)).toBe(a === null ? null : Buffer.from(a).toString("hex"));
    }
  });
});
