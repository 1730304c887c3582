/**
 * Interop conformance: natsbridge (TypeScript) and natsbridge_mpy.py (on the real MicroPython
 * runtime and on CPython) against the language-neutral vectors in conformance/vectors, plus
 * round trips between them. A missing runtime (python3, the MicroPython wasm package) fails the
 * run; nothing here is ever skipped. Vector format: conformance/README.md.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NatsBridgeError, smartreceive, smartsend } from "../src/node.js";
import {
  ArrowExpect,
  conformanceDir,
  diff,
  diffEnvelope,
  downloadStub,
  FORMAT,
  fromMarked,
  HEADER_FIELDS,
  loadVectorFiles,
  messageBytes,
  toMarked,
  wrapPayloadJson,
  type DecodeVector,
  type EncodeEnvelopeVector,
  type EncodeRejectVector,
  type EncodeVector,
  type RejectVector,
  type Vector,
} from "./lib/vectors.js";
import { rtDecode, rtEncode, rtReencode, runPython, runVectors } from "./micropython/run-mpy.mjs";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const files = loadVectorFiles();
const PYTHON = process.env.PYTHON ?? "python3";

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const isArrowFile = (b: Uint8Array) =>
  b.length >= 12 && Buffer.from(b.subarray(0, 6)).toString("latin1") === "ARROW1" && Buffer.from(b.subarray(b.length - 6)).toString("latin1") === "ARROW1";

function fail(why: string | null): void {
  if (why) expect.fail(why);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof NatsBridgeError)) return `not a NatsBridgeError: ${(e as Error)?.name}: ${(e as Error)?.message}`;
    return e.code;
  }
  return "accepted";
}

const sendOpts = { is_publish: false, correlation_id: "c", msg_id: "m", sender_id: "s", broker_url: "nats://localhost:4222" };

async function runEncode(v: EncodeVector): Promise<void> {
  if (!v.senders.includes("ts")) {
    // Another sender's bytes (natsbridge_mpy forwarding Arrow IPC): natsbridge must still read them.
    const env = await smartreceive(wrapPayloadJson(v.payload_json!));
    fail(diff(env.payloads[0]![1], fromMarked(v.decoded), "decoded"));
    return;
  }
  const { dataname, payload_type, data } = v.input;
  const [env, json] = await smartsend("/conformance", [[dataname, fromMarked(data), payload_type]] as any, sendOpts);
  const p = env.payloads[0]! as unknown as Record<string, unknown>;
  expect(p.id).toMatch(UUID_V4);
  const bytes = b64(p.data as string);
  // The whole envelope JSON: header in wire order, then exactly this payload.
  const head = HEADER_FIELDS.map((k) => `${JSON.stringify(k)}:${JSON.stringify((env as any)[k])}`).join(",");
  if (v.payload) {
    expect(p).toStrictEqual({ ...v.payload, id: p.id });
    expect(json).toBe(`{${head},"payloads":[${v.payload_json!.replace(v.payload_id, p.id as string)}]}`);
    fail(diff(bytes, fromMarked(v.serialized), "serialized"));
  } else {
    // Arrow: apache-arrow's own bytes; the format and the content are what is fixed.
    expect(Object.keys(p)).toStrictEqual(["id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata"]);
    expect(p).toMatchObject({ dataname, payload_type, transport: "direct", encoding: "base64", size: bytes.length, metadata: { payload_bytes: bytes.length } });
    expect(v.serialized.arrow_format).toBe("file");
    expect(isArrowFile(bytes), "Arrow IPC file format (ARROW1 magic at both ends)").toBe(true);
  }
  const back = await smartreceive(wrapPayloadJson(JSON.stringify(p)));
  expect(back.payloads[0]![0]).toBe(dataname);
  expect(back.payloads[0]![2]).toBe(payload_type);
  fail(diff(back.payloads[0]![1], fromMarked(v.decoded), "decoded"));
}

async function runEncodeEnvelope(v: EncodeEnvelopeVector): Promise<void> {
  const data = v.payloads.map((p) => [p.dataname, fromMarked(p.data), p.payload_type]);
  const [env, json] = await smartsend(v.subject, data as any, { ...fromMarked(v.options), is_publish: false });
  expect(env.timestamp).toMatch(new RegExp(v.timestamp_pattern));
  let expected = v.envelope_json.replace(`"timestamp":"${v.envelope.timestamp}"`, `"timestamp":"${env.timestamp}"`);
  env.payloads.forEach((p, i) => {
    expect(p.id).toMatch(UUID_V4);
    expected = expected.replace(v.payloads[i]!.payload_id, p.id);
  });
  expect(json).toBe(expected);
  expect(env).toStrictEqual(JSON.parse(expected));
}

async function runEncodeReject(v: EncodeRejectVector): Promise<void> {
  if (!v.senders.includes("ts")) return;
  const { dataname, payload_type, data } = v.input;
  const code = await codeOf(smartsend("/conformance", [[dataname, fromMarked(data), payload_type]] as any, sendOpts));
  expect(code, v.description).toBe(v.error);
}

/** The vector's download stub, and its URLs' origins as the receiver's trusted file servers. */
const stubOptions = (downloads: Record<string, unknown> | undefined) => ({
  fileserver_download_handler: downloadStub(downloads) as any,
  allowed_origins: Object.keys(downloads ?? {}).map((u) => new URL(u).origin),
});

async function runDecode(v: DecodeVector): Promise<void> {
  const opts = stubOptions(v.downloads);
  // As a NATS message ({data: bytes}), and, for text messages, as a JSON string too.
  fail(diffEnvelope(await smartreceive({ data: messageBytes(v.message) }, opts), v.expected, { arrowNullable: true }));
  if (v.message.text !== undefined) fail(diffEnvelope(await smartreceive(v.message.text, opts), v.expected, { arrowNullable: true }));
}

async function runReject(v: RejectVector): Promise<void> {
  const opts = stubOptions(v.downloads);
  expect(await codeOf(smartreceive({ data: messageBytes(v.message) }, opts)), v.description).toBe(v.error);
  if (v.message.text !== undefined) expect(await codeOf(smartreceive(v.message.text, opts)), `${v.description} (as a string)`).toBe(v.error);
}

function runVector(v: Vector): Promise<void> {
  switch (v.kind) {
    case "encode":
      return runEncode(v);
    case "encode_envelope":
      return runEncodeEnvelope(v);
    case "encode_reject":
      return runEncodeReject(v);
    case "decode":
      return runDecode(v);
    case "reject":
      return runReject(v);
  }
}

describe("vectors: natsbridge (TypeScript)", () => {
  it("vector files are present and well-formed", () => {
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining(["arrowtable.json", "binary.json", "dictionary.json", "encode_reject.json", "envelope.json", "jsontable.json", "reject.json", "text.json"]),
    );
    const ids = new Set<string>();
    for (const f of files) {
      expect(f.format).toBe(FORMAT);
      for (const v of f.vectors) {
        expect(ids.has(v.id), `duplicate id ${v.id}`).toBe(false);
        ids.add(v.id);
      }
    }
    expect(ids.size).toBeGreaterThan(100);
  });
  for (const f of files) {
    describe(f.file, () => {
      for (const v of f.vectors) it(v.id, () => runVector(v));
    });
  }
});

// ------------------------------------------------------------------ natsbridge_mpy.py

function python(args: string[], input?: string): { stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { input, encoding: "utf8", cwd: join(conformanceDir, ".."), maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`cannot run ${PYTHON} (CPython is required for the conformance run): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const cpython = {
  reencode: (text: string) => python([join(conformanceDir, "python", "mpy_bridge.py"), "reencode"], text).stdout,
  decode: (envelopes: string[]) => JSON.parse(python([join(conformanceDir, "python", "mpy_bridge.py"), "decode"], JSON.stringify(envelopes)).stdout),
  encode: (specs: unknown[]) => JSON.parse(python([join(conformanceDir, "python", "mpy_bridge.py"), "encode"], JSON.stringify(specs)).stdout),
};
const wasm = { reencode: (t: string) => rtReencode(t), decode: (e: string[]) => rtDecode(e), encode: (s: unknown[]) => rtEncode(s) };

describe("vectors: natsbridge_mpy.py", () => {
  it("passes every vector on the real MicroPython runtime (WebAssembly port)", async () => {
    const s = await runVectors();
    expect(s.runtime).toBe("micropython");
    expect(s.vectors).toBeGreaterThan(100);
    expect(s.failures, s.output.join("\n")).toEqual([]);
    expect(s.passed + s.not_applicable).toBe(s.vectors);
  });
  it("its UTF-8 check on MicroPython agrees with a strict decoder on every lead and first continuation byte", async () => {
    // Every [lead 80..FF, next 00..FF, 80, 80] cut to 2, 3 and 4 bytes: natsbridge_rx.utf8_check
    // (MicroPython's own decoder lets surrogates and overlongs through) against TextDecoder.
    const out = await runPython(`
import natsbridge_rx as rx
bad = bytearray()
b = bytearray(4)
for lead in range(0x80, 0x100):
    for nxt in range(256):
        b[0] = lead
        b[1] = nxt
        b[2] = 0x80
        b[3] = 0x80
        for n in (2, 3, 4):
            try:
                rx.utf8_check(b, 0, n)
                bad.append(1)
            except ValueError:
                bad.append(0)
print(bytes(bad).hex())
`);
    const got = Buffer.from(out[0]!, "hex");
    const strict = new TextDecoder("utf-8", { fatal: true });
    let k = 0;
    let mismatches = 0;
    for (let lead = 0x80; lead < 0x100; lead++) {
      for (let nxt = 0; nxt < 256; nxt++) {
        for (const n of [2, 3, 4]) {
          let ok = 1;
          try {
            strict.decode(Uint8Array.from([lead, nxt, 0x80, 0x80].slice(0, n)));
          } catch {
            ok = 0;
          }
          if (got[k++] !== ok) mismatches++;
        }
      }
    }
    expect(k).toBe(128 * 256 * 3);
    expect(got.length).toBe(k);
    expect(mismatches).toBe(0);
  });
  it("smartreceive checks its own message in place but a caller's dict in copies; unknown fields stay", async () => {
    const out = await runPython(`
import natsbridge_mpy as nb
env, js = nb.smartsend("s", [("t", "hi", "text")], is_publish=False, correlation_id="c1")
d = nb.json_loads(js)
d["x_extra"] = 7
before = nb.json_dumps(d)
r = nb.smartreceive(d)
print(nb.json_dumps(d) == before, r["payloads"], r["x_extra"], r["reply_to"] == "")
r2 = nb.smartreceive(js[:-1] + ',"x_extra":[1]}')
print(r2["payloads"], r2["x_extra"], sorted(k for k in r2 if k not in nb.ENVELOPE_FIELDS))
`);
    expect(out).toEqual(["True [('t', 'hi', 'text')] 7 True", "[('t', 'hi', 'text')] [1] ['x_extra']"]);
  });
  it("passes every vector on CPython", () => {
    const out = python([join(conformanceDir, "python", "run_vectors.py")]).stdout;
    const line = out.split("\n").find((l) => l.startsWith("RESULT "));
    expect(line, out).toBeDefined();
    const s = JSON.parse(line!.slice(7));
    expect(s.runtime).toBe("cpython");
    expect(s.failures).toEqual([]);
    expect(s.vectors).toBeGreaterThan(100);
  });
});

// ------------------------------------------------------------------ round trips

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const RANGES: [number, number][] = [[0x20, 0x7e], [0x00, 0x1f], [0xa0, 0x2ff], [0x370, 0x52f], [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xe000, 0xfffd], [0x1f300, 0x1faff], [0x10000, 0x10ffff]];
  const str = (max: number) => {
    let s = "";
    for (let n = int(max); n > 0; n--) {
      const [lo, hi] = RANGES[int(RANGES.length)]!;
      s += String.fromCodePoint(lo + int(hi - lo + 1));
    }
    return s;
  };
  const double = () => {
    const b = new DataView(new ArrayBuffer(8));
    b.setUint32(0, Math.floor(next() * 2 ** 32));
    b.setUint32(4, Math.floor(next() * 2 ** 32));
    const x = b.getFloat64(0);
    return Number.isFinite(x) ? x : 0.5;
  };
  const scalar = (): unknown => {
    switch (int(9)) {
      case 0: return null;
      case 1: return next() < 0.5;
      case 2: return int(2001) - 1000;
      case 3: return Math.floor((next() - 0.5) * 2 ** 53);
      case 4: return BigInt(Math.floor(next() * 2 ** 30)) * 2n ** 40n + BigInt(int(2 ** 30)) + 2n ** 53n;
      case 5: return -(2n ** 63n) + BigInt(int(1000));
      case 6: return double();
      case 7: return Math.round((next() - 0.5) * 1e6) / 100;
      default: return str(12);
    }
  };
  const json = (depth: number): unknown => {
    if (depth <= 0 || next() < 0.35) return scalar();
    if (next() < 0.5) return Array.from({ length: int(5) }, () => json(depth - 1));
    const o: Record<string, unknown> = {};
    for (let n = int(5); n > 0; n--) o[`k${int(100)}_${str(3)}`] = json(depth - 1);
    return o;
  };
  const bytes = () => Uint8Array.from({ length: int(300) }, () => int(256));
  return { next, int, str, json, bytes, double };
}

interface Spec {
  payloads: [string, unknown, string][];
  options: Record<string, unknown>;
  /** What a receiver must return for each payload (defaults to the input). */
  expected: unknown[];
}

function buildSpecs(): Spec[] {
  const specs: Spec[] = [];
  // Every TS-sendable encode vector (Arrow excluded here: a device reads Arrow as raw bytes).
  for (const f of files)
    for (const v of f.vectors)
      if (v.kind === "encode" && v.senders.includes("ts") && v.senders.includes("mpy"))
        specs.push({ payloads: [[v.input.dataname, fromMarked(v.input.data), v.input.payload_type]], options: {}, expected: [fromMarked(v.decoded)] });
  const r = prng(20260313);
  for (let i = 0; i < 40; i++) {
    const payloads: [string, unknown, string][] = [];
    const expected: unknown[] = [];
    for (let n = 1 + r.int(4); n > 0; n--) {
      const name = `p${i}_${r.str(4)}`;
      switch (r.int(5)) {
        case 0: {
          const s = r.str(60);
          payloads.push([name, s, "text"]);
          expected.push(s);
          break;
        }
        case 1: {
          const d = r.json(4);
          payloads.push([name, d, "dictionary"]);
          expected.push(d);
          break;
        }
        case 2: {
          const rows = Array.from({ length: r.int(5) }, () => ({ a: r.json(1), b: r.str(5) }));
          payloads.push([name, rows, "jsontable"]);
          expected.push(rows);
          break;
        }
        default: {
          const b = r.bytes();
          const t = ["image", "audio", "video", "binary"][r.int(4)]!;
          payloads.push([name, b, t]);
          expected.push(b);
        }
      }
    }
    specs.push({
      payloads,
      options: { msg_purpose: r.str(8), sender_name: r.str(8), reply_to: `reply.${i}`, metadata: { i, note: r.str(6) } },
      expected,
    });
  }
  return specs;
}

const specs = buildSpecs();

/** -0 travels as 0 (JSON.stringify), so compare after that normalization. */
function normalizeZero(v: unknown): unknown {
  if (typeof v === "number" && Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(normalizeZero);
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array) && !(v instanceof ArrowExpect)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeZero(x)]));
  }
  return v;
}

describe.each([
  ["MicroPython (WebAssembly)", wasm],
  ["CPython", cpython],
])("round trips: natsbridge (TS) ⇄ natsbridge_mpy.py on %s", (_name, peer) => {
  it("JSON numbers and strings: natsbridge_mpy re-serializes JSON.stringify output byte for byte", async () => {
    const r = prng(7);
    const values: unknown[] = [];
    for (let i = 0; i < 3000; i++) values.push(r.double());
    for (let i = 0; i < 300; i++) values.push(r.next() * 10 ** (r.int(60) - 30), Math.round(r.next() * 1e6) / 1e3, r.int(2 ** 31) * (r.next() < 0.5 ? -1 : 1));
    for (let i = 0; i < 300; i++) values.push(r.str(20));
    values.push(0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2 ** 53, 123456789012345680000);
    const text = JSON.stringify(values);
    const back = await peer.reencode(text);
    if (back !== text) {
      const a = JSON.parse(back) as unknown[];
      const bad = values.map((v, i) => [v, a[i]] as const).filter(([v, w], i) => JSON.stringify(v) !== JSON.stringify(w)).slice(0, 5);
      expect.fail(`re-serialized JSON differs, e.g. ${bad.map(([v, w]) => `${JSON.stringify(v)} -> ${JSON.stringify(w)}`).join(", ")}`);
    }
  });

  it(`TS smartsend → natsbridge_mpy smartreceive (${specs.length} envelopes, values compared)`, async () => {
    const sent: { env: any; json: string }[] = [];
    for (const s of specs) {
      const [env, json] = await smartsend("/roundtrip", s.payloads as any, { ...s.options, is_publish: false });
      sent.push({ env, json });
    }
    // Arrow: the device returns the IPC bytes natsbridge sent, unchanged.
    const [arrowEnv, arrowJson] = await smartsend(
      "/roundtrip",
      [["t", [{ id: 1, name: "Zoë" }, { id: 2, name: "😀" }], "arrowtable"]] as any,
      { is_publish: false },
    );
    const results = await peer.decode([...sent.map((x) => x.json), arrowJson]);
    expect(results).toHaveLength(specs.length + 1);
    specs.forEach((s, i) => {
      const r = results[i];
      expect(r.error, `envelope ${i}: ${r.message}`).toBeUndefined();
      const got = fromMarked(r.ok);
      for (const k of HEADER_FIELDS) fail(diff(got[k], normalizeZero(sent[i]!.env[k]), `envelope ${i}.${k}`));
      s.payloads.forEach(([name, , type], j) => {
        expect(got.payloads[j][0]).toBe(name);
        expect(got.payloads[j][2]).toBe(type);
        fail(diff(got.payloads[j][1], normalizeZero(s.expected[j]), `envelope ${i} payload ${j} (${type})`));
      });
    });
    const a = fromMarked(results[specs.length].ok);
    expect(a.payloads[0][2]).toBe("arrowtable");
    fail(diff(a.payloads[0][1], b64(arrowEnv.payloads[0]!.data), "arrow IPC bytes"));
  });

  it(`natsbridge_mpy smartsend → TS smartreceive (${specs.length} envelopes, values compared)`, async () => {
    const wire = specs.map((s, i) => ({
      subject: "/roundtrip",
      payloads: s.payloads.map(([n, v, t]) => [n, toMarked(v), t]),
      options: toMarked({ ...s.options, correlation_id: `corr-${i}` }),
    }));
    const arrowVector = files.flatMap((f) => f.vectors).find((v) => v.id === "arrowtable/encode/mpy-forward-ipc-bytes") as EncodeVector;
    wire.push({ subject: "/roundtrip", payloads: [["fwd", arrowVector.input.data, "arrowtable"]], options: {} as any });
    const out = await peer.encode(wire);
    expect(out).toHaveLength(specs.length + 1);
    for (let i = 0; i < specs.length; i++) {
      expect(typeof out[i], JSON.stringify(out[i])).toBe("string");
      const env = await smartreceive(out[i]);
      expect(env.correlation_id).toBe(`corr-${i}`);
      expect(env.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(env.msg_id).toMatch(UUID_V4);
      expect(env.sender_id).toMatch(UUID_V4);
      const defaults: Record<string, unknown> = { msg_purpose: "chat", sender_name: "NATSBridge", reply_to: "", metadata: {} };
      for (const k of ["msg_purpose", "sender_name", "reply_to", "metadata"] as const) fail(diff(env[k], specs[i]!.options[k] ?? defaults[k], k));
      specs[i]!.payloads.forEach(([name, , type], j) => {
        expect(env.payloads[j]![0]).toBe(name);
        expect(env.payloads[j]![2]).toBe(type);
        fail(diff(env.payloads[j]![1], normalizeZero(specs[i]!.expected[j]), `envelope ${i} payload ${j} (${type})`));
      });
    }
    const env = await smartreceive(out[specs.length]);
    fail(diff(env.payloads[0]![1], fromMarked(arrowVector.decoded), "forwarded Arrow table"));
  });
});

afterAll(() => {
  /* nothing to close: no connections are opened with is_publish: false */
});
