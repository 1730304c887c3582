import { describe, expect, it } from "vitest";
import { smartsend, smartreceive } from "../../src/node.js";
import { buildEnvelope, directPayload, linkPayload, type EnvelopeHeader } from "../../src/core/envelope.js";
import { encodeAsciiInto, layoutEnvelope, lazyDirectPayload } from "../../src/core/wire.js";
import { parseJsonBytes, parseJsonText } from "../../src/core/bulk-json.js";
import { bytesBase64 } from "../../src/core/base64/bytes-codec.js";
import { stringifyJson } from "../../src/core/json.js";
import { randomBytes } from "../helpers/bridge-env.js";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const header: EnvelopeHeader = {
  correlation_id: "c", msg_id: "m", timestamp: "2026-01-01T00:00:00.000Z", send_to: "s", msg_purpose: "chat",
  sender_name: "é \"quoted\"", sender_id: "x", receiver_name: "", receiver_id: "", reply_to: "", reply_to_msg_id: "",
  broker_url: "nats://h:1", metadata: { big: 12345678901234567890n, nested: { u: "ü" } },
};

describe("envelope bytes and JSON text", () => {
  const big = randomBytes(100_000, 4);
  const payloads = () => [
    directPayload("11111111-2222-4333-8444-555555555555", "small", "text", 2, "aGk="),
    lazyDirectPayload("21111111-2222-4333-8444-555555555555", "big \"one\"", "binary", big, b64),
    linkPayload("31111111-2222-4333-8444-555555555555", "linked/ü", "image", 5, "http://h/file/a/b/c%20d"),
    directPayload("not-a-uuid\"", "odd id", "binary", 3, "AAAA"),
  ];
  for (const codec of ["wasm", "strings"] as const) {
    it(`are exactly JSON.stringify(env) (${codec} path)`, () => {
      const ps = payloads();
      // An allocator handing out dirty memory, as Buffer.allocUnsafe may: every byte must be written.
      const alloc = (n: number) => new Uint8Array(n).fill(0xee);
      const io = { writeAscii: encodeAsciiInto, encodeBase64Into: codec === "wasm" ? bytesBase64()!.encodeInto : undefined, alloc };
      const layout = layoutEnvelope(header, ps, stringifyJson, io);
      const expected = stringifyJson(buildEnvelope(header, ps));
      const bytes = layout.bytes();
      expect(layout.byteLength).toBe(bytes.byteLength);
      expect(Buffer.from(bytes).toString("utf8")).toBe(expected);
      expect(layout.json()).toBe(expected);
      expect(layout.jsonIsCostly).toBe(codec === "wasm");
    });
  }

  it("small envelopes through the ASCII fast encoder: any non-ASCII string anywhere still comes out UTF-8", () => {
    let latin1 = 0;
    const io = { writeAscii: encodeAsciiInto, encodeAscii: (s: string) => (latin1++, Buffer.from(s, "latin1")) };
    const plainHeader: EnvelopeHeader = { ...header, sender_name: "plain", metadata: {} };
    const small = (dataname = "d", url = "http://h/f") => [
      directPayload("11111111-2222-4333-8444-555555555555", dataname, "text", 2, "aGk="),
      linkPayload("31111111-2222-4333-8444-555555555555", "l", "image", 5, url),
    ];
    const cases: [string, EnvelopeHeader, ReturnType<typeof small>][] = [
      ["all ASCII", plainHeader, small()],
      ["header string", { ...plainHeader, receiver_name: "Zoë" }, small()],
      ["metadata", { ...plainHeader, metadata: { k: "ü" } }, small()],
      ["dataname", plainHeader, small("文件")],
      ["link URL", plainHeader, small("d", "http://h/ü")],
      ["escaped ASCII", { ...plainHeader, reply_to: 'a"b\\c\n' }, small()],
      ["ASCII metadata", { ...plainHeader, metadata: { k: "v", n: [1, 2] } }, small()],
    ];
    // Text that is ASCII after JSON escaping takes the latin1 copy; anything else the UTF-8 encoder.
    const viaLatin1 = new Set(["all ASCII", "escaped ASCII", "ASCII metadata"]);
    for (const [name, h, ps] of cases) {
      const expected = stringifyJson(buildEnvelope(h, ps));
      const layout = layoutEnvelope(h, ps, stringifyJson, io);
      expect(Buffer.from(layout.bytes()).toString("utf8"), name).toBe(expected);
      expect(layout.byteLength, name).toBe(Buffer.byteLength(expected));
      const before = latin1;
      layoutEnvelope(h, ps, stringifyJson, io);
      expect(latin1 - before, name).toBe(viaLatin1.has(name) ? 1 : 0);
    }
  });

  it("refuses to hand out a wire buffer it did not fill (uncleared memory must never be published)", () => {
    const shortWriter = { writeAscii: () => 0, alloc: (n: number) => new Uint8Array(n) };
    const layout = layoutEnvelope(header, payloads(), stringifyJson, shortWriter);
    expect(() => layout.bytes()).toThrow(/wrote \d+ of \d+ bytes/);
    expect(() => layout.bytes()).toThrow(); // and no half-written buffer is kept for a second call
  });

  it("a lazy payload's data reads as its base64, and can be replaced", () => {
    const p = lazyDirectPayload("id", "n", "binary", big, b64);
    expect(Object.keys(p)).toEqual(["id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata"]);
    expect(p.data).toBe(b64(big));
    p.data = "AAAA";
    expect(p.data).toBe("AAAA");
    const layout = layoutEnvelope(header, [p], stringifyJson, { writeAscii: encodeAsciiInto, encodeBase64Into: bytesBase64()!.encodeInto });
    expect(layout.json()).toContain('"data":"AAAA"');
  });

  it("what smartsend returns still says what was sent after the caller reuses its buffer", async () => {
    const frame = randomBytes(50_000, 9);
    const sentCopy = frame.slice();
    const published: Uint8Array[] = [];
    const conn = { publish: (_s: string, d?: Uint8Array) => void published.push(d!), info: { max_payload: 1 << 20 } };
    const result = await smartsend("reuse", [["frame", frame, "video"]], { nats_connection: conn });
    frame.fill(0); // the caller's next frame
    const [env, json] = result;
    expect(env.payloads[0]!.data).toBe(b64(sentCopy));
    expect(json).toBe(Buffer.from(published[0]!).toString("utf8"));
    expect(JSON.parse(json).payloads[0].data).toBe(b64(sentCopy));
  });

  it("smartsend publishes exactly the JSON text it returns, also for large payloads", async () => {
    const published: Uint8Array[] = [];
    const conn = { publish: (_s: string, d?: Uint8Array) => void published.push(d!), info: { max_payload: 1 << 20 } };
    const result = await smartsend("wire", [["big", big, "binary"], ["t", "ü", "text"]], { nats_connection: conn });
    const [env, json] = result;
    expect(Buffer.from(published[0]!).toString("utf8")).toBe(json);
    expect(json).toBe(JSON.stringify(env));
    expect(JSON.parse(JSON.stringify(result))[1]).toBe(json);
    expect(result).toHaveLength(2);
    expect(env.payloads[0]!.data).toBe(b64(big));
  });
});

describe("cutting base64 out before JSON.parse", () => {
  const big = randomBytes(40_000, 6);
  const decode = bytesBase64()!.decode;
  const indexOf = (b: Uint8Array, byte: number, from: number) => b.indexOf(byte, from);

  it("from bytes: decoded payload bytes stand in for the placeholder", async () => {
    const [, json] = await smartsend("cut", [["b", big, "binary"]], { is_publish: false });
    const r = parseJsonBytes(new TextEncoder().encode(json), decode, indexOf)!;
    const data = (r.value as any).payloads[0].data as string;
    expect(r.bulk.get(data)).toEqual(big);
  });

  it("from bytes: gives way to the text path without a codec, for short messages and for runs that are not strict base64", async () => {
    const [, json] = await smartsend("cut", [["b", big, "binary"]], { is_publish: false });
    const bytes = new TextEncoder().encode(json);
    expect(parseJsonBytes(bytes, null, indexOf)).toBeNull();
    expect(parseJsonBytes(bytes.subarray(0, 100), decode, indexOf)).toBeNull();
    const wrapped = new TextEncoder().encode(json.replace(/("data":"[A-Za-z0-9+/]{100})/, "$1\\n"));
    expect(parseJsonBytes(wrapped, decode, indexOf)).toBeNull();
    // ... and the text path still reads it (an escaped newline is whitespace inside base64).
    const got = await smartreceive(wrapped);
    expect(got.payloads[0]![1]).toEqual(big);
  });

  it("from text: the cut keeps the base64 text for the strict decoder", async () => {
    const [, json] = await smartsend("cut", [["b", big, "binary"]], { is_publish: false });
    const r = parseJsonText(json);
    const data = (r.value as any).payloads[0].data as string;
    expect(r.bulk.get(data)).toBe(b64(big));
  });
});
