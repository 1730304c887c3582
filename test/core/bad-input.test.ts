import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { smartsend, smartreceive, fetchWithBackoff, NatsBridgeError, registerSerializer, unregisterSerializer, type ErrorCode } from "../../src/node.js";
import { startBridgeEnv, collect, randomBytes, uniqueSubject, type BridgeEnv } from "../helpers/bridge-env.js";

let env: BridgeEnv;
beforeAll(async () => {
  env = await startBridgeEnv();
});
afterAll(async () => {
  await env?.stop();
});

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NatsBridgeError) return e.code;
    return `not a NatsBridgeError: ${e}`;
  }
  return "resolved";
}

/** A valid envelope built by smartsend, as a plain object to corrupt. */
async function validEnvelope(tuples: any[] = [["m", "hello", "text"]]): Promise<any> {
  const [, json] = await smartsend("bad.input", tuples, { is_publish: false });
  return JSON.parse(json);
}

describe("smartreceive rejects malformed input with a code", () => {
  const cases: Array<[string, (e: any) => unknown, ErrorCode]> = [
    ["bad JSON", () => "{not json", "INVALID_ENVELOPE"],
    ["a JSON array", () => "[1,2]", "INVALID_ENVELOPE"],
    ["a JSON number", () => "42", "INVALID_ENVELOPE"],
    ["non-UTF-8 bytes", () => new Uint8Array([0xff, 0xfe, 0x7b]), "INVALID_ENVELOPE"],
    ["missing correlation_id", (e) => (delete e.correlation_id, e), "INVALID_ENVELOPE"],
    ["missing payloads", (e) => (delete e.payloads, e), "INVALID_ENVELOPE"],
    ["payloads not an array", (e) => ((e.payloads = {}), e), "INVALID_ENVELOPE"],
    ["msg_id a number", (e) => ((e.msg_id = 7), e), "INVALID_ENVELOPE"],
    ["timestamp not ISO 8601", (e) => ((e.timestamp = "yesterday"), e), "INVALID_ENVELOPE"],
    ["metadata an array", (e) => ((e.metadata = []), e), "INVALID_ENVELOPE"],
    ["payload without dataname", (e) => (delete e.payloads[0].dataname, e), "INVALID_ENVELOPE"],
    ["payload without data", (e) => (delete e.payloads[0].data, e), "INVALID_ENVELOPE"],
    ["payload size a string", (e) => ((e.payloads[0].size = "5"), e), "INVALID_ENVELOPE"],
    ["payload size negative", (e) => ((e.payloads[0].size = -1), e), "INVALID_ENVELOPE"],
    ["payload without any type", (e) => (delete e.payloads[0].payload_type, e), "INVALID_ENVELOPE"],
    ["unknown payload_type", (e) => ((e.payloads[0].payload_type = "hologram"), e), "INVALID_PAYLOAD_TYPE"],
    ["unknown transport", (e) => ((e.payloads[0].transport = "carrier-pigeon"), e), "INVALID_TRANSPORT"],
    ["direct with encoding none", (e) => ((e.payloads[0].encoding = "none"), e), "INVALID_ENVELOPE"],
    ["invalid base64", (e) => ((e.payloads[0].data = "aGVsbG8*"), e), "DESERIALIZATION_ERROR"],
    ["url-safe base64 alphabet", (e) => ((e.payloads[0].data = "_-__"), (e.payloads[0].size = 3), e), "DESERIALIZATION_ERROR"],
    ["size not matching the data", (e) => ((e.payloads[0].size = 4), e), "DESERIALIZATION_ERROR"],
    ["text that is not UTF-8", (e) => ((e.payloads[0].data = "/w=="), (e.payloads[0].size = 1), e), "DESERIALIZATION_ERROR"],
    ["link to a file: URL", (e) => ((e.payloads[0].transport = "link"), (e.payloads[0].encoding = "none"), (e.payloads[0].data = "file:///etc/passwd"), e), "INVALID_ENVELOPE"],
    ["link to a javascript: URL", (e) => ((e.payloads[0].transport = "link"), (e.payloads[0].encoding = "none"), (e.payloads[0].data = "javascript:alert(1)"), e), "INVALID_ENVELOPE"],
    ["link that is not a URL", (e) => ((e.payloads[0].transport = "link"), (e.payloads[0].encoding = "none"), (e.payloads[0].data = "not a url"), e), "INVALID_ENVELOPE"],
    ["link with encoding base64", (e) => ((e.payloads[0].transport = "link"), (e.payloads[0].data = "http://127.0.0.1:1/x"), e), "INVALID_ENVELOPE"],
  ];
  for (const [name, corrupt, code] of cases) {
    it(`${name} → ${code}`, async () => {
      const bad = corrupt(await validEnvelope());
      const input = typeof bad === "string" || bad instanceof Uint8Array ? bad : JSON.stringify(bad);
      expect(await codeOf(smartreceive(input as never))).toBe(code);
    });
  }

  it("undecodable values per type → DESERIALIZATION_ERROR", async () => {
    const junk = new TextEncoder().encode("{not json");
    for (const type of ["dictionary", "jsontable", "arrowtable"]) {
      const e = await validEnvelope([["x", junk, "binary"]]);
      e.payloads[0].payload_type = type;
      expect(await codeOf(smartreceive(JSON.stringify(e))), type).toBe("DESERIALIZATION_ERROR");
    }
    const scalar = await validEnvelope([["x", new TextEncoder().encode("42"), "binary"]]);
    scalar.payloads[0].payload_type = "jsontable";
    expect(await codeOf(smartreceive(JSON.stringify(scalar)))).toBe("DESERIALIZATION_ERROR");
  });

  it("attaches the envelope's correlation id to payload errors", async () => {
    const e = await validEnvelope();
    e.payloads[0].payload_type = "hologram";
    const err = await smartreceive(JSON.stringify(e)).catch((x) => x);
    expect(err.correlation_id).toBe(e.correlation_id);
  });

  it("rejects a smartreceive input that is neither message, bytes, string nor object", async () => {
    expect(await codeOf(smartreceive(42 as never))).toBe("INVALID_ENVELOPE");
    expect(await codeOf(smartreceive(null as never))).toBe("INVALID_ENVELOPE");
  });
});

describe("smartreceive accepts what real peers send", () => {
  it("MicroPython style: no payload metadata, seconds timestamp, base64 with a trailing newline", async () => {
    const e = await validEnvelope();
    delete e.payloads[0].metadata;
    e.timestamp = "2026-03-13T07:02:50Z";
    e.payloads[0].data = "aGVsbG8=\n";
    const got = await smartreceive(JSON.stringify(e));
    expect(got.payloads).toEqual([["m", "hello", "text"]]);
    expect(got.timestamp).toBe("2026-03-13T07:02:50Z");
  });
  it("Python style: microsecond timestamps, spaced JSON, \\u escapes, null strings", async () => {
    const e = await validEnvelope([["d", new TextEncoder().encode('{"k": "caf\\u00e9", "n": [1, 2.5]}'), "binary"]]);
    e.payloads[0].payload_type = "dictionary";
    e.timestamp = "2026-03-13T07:02:50.443123Z";
    e.reply_to = null;
    const got = await smartreceive(JSON.stringify(e, null, 2));
    expect(got.payloads[0]![1]).toEqual({ k: "café", n: [1, 2.5] });
    expect(got.reply_to).toBe("");
  });
  it("Julia style timestamp without a zone, and the older README's `type` and `table` names", async () => {
    const [, json] = await smartsend("x", [["t", [{ a: 1 }], "arrowtable"]], { is_publish: false });
    const e = JSON.parse(json);
    e.timestamp = "2026-03-13T07:02:50.443";
    delete e.payloads[0].payload_type;
    e.payloads[0].type = "table";
    const got = await smartreceive(e);
    expect(got.payloads[0]![2]).toBe("arrowtable");
    expect((got.payloads[0]![1] as any).toArray().map((r: any) => r.toJSON())).toEqual([{ a: 1 }]);
  });
  it("integers beyond 2^53 come back exact, as bigint", async () => {
    const e = await validEnvelope([["d", new TextEncoder().encode('{"big": 9007199254740993, "neg": -12345678901234567890, "s": "12345678901234567890", "f": 1.5e300}'), "binary"]]);
    e.payloads[0].payload_type = "dictionary";
    const got = await smartreceive(JSON.stringify(e));
    expect(got.payloads[0]![1]).toEqual({ big: 9007199254740993n, neg: -12345678901234567890n, s: "12345678901234567890", f: 1.5e300 });
  });
});

describe("smartsend rejects bad input and publishes nothing", () => {
  const cases: Array<[string, () => Promise<unknown>, ErrorCode]> = [
    ["unknown payload type", () => smartsend("s", [["x", 1, "hologram" as never]], { is_publish: false }), "INVALID_PAYLOAD_TYPE"],
    ["text that is not a string", () => smartsend("s", [["x", 42 as never, "text"]], { is_publish: false }), "SERIALIZATION_ERROR"],
    ["image that is not bytes", () => smartsend("s", [["x", "nope" as never, "image"]], { is_publish: false }), "SERIALIZATION_ERROR"],
    ["a circular dictionary", () => { const o: any = {}; o.o = o; return smartsend("s", [["x", o, "dictionary"]], { is_publish: false }); }, "SERIALIZATION_ERROR"],
    ["undefined as a dictionary", () => smartsend("s", [["x", undefined as never, "dictionary"]], { is_publish: false }), "SERIALIZATION_ERROR"],
    ["arrowtable from a string", () => smartsend("s", [["x", "nope" as never, "arrowtable"]], { is_publish: false }), "SERIALIZATION_ERROR"],
    ["arrowtable with a mixed column", () => smartsend("s", [["x", [{ a: 1 }, { a: "b" }], "arrowtable"]], { is_publish: false }), "SERIALIZATION_ERROR"],
    ["an empty subject", () => smartsend("", [["x", "y", "text"]], { is_publish: false }), "INVALID_OPTIONS"],
    ["a subject with spaces", () => smartsend("a b", [["x", "y", "text"]], { is_publish: false }), "INVALID_OPTIONS"],
    ["data that is not an array", () => smartsend("s", {} as never, { is_publish: false }), "INVALID_OPTIONS"],
    ["a tuple of the wrong shape", () => smartsend("s", [["x", "y"]] as never, { is_publish: false }), "INVALID_OPTIONS"],
    ["a negative size_threshold", () => smartsend("s", [["x", "y", "text"]], { is_publish: false, size_threshold: -1 }), "INVALID_OPTIONS"],
  ];
  for (const [name, call, code] of cases) {
    it(`${name} → ${code}`, async () => {
      expect(await codeOf(call())).toBe(code);
    });
  }

  it("an envelope that cannot fit even with every payload linked → ENVELOPE_TOO_LARGE before any upload", async () => {
    const before = env.files.stats().uploads;
    const err = await smartsend("s", [["x", "y", "text"]], { is_publish: false, fileserver_url: env.files.url, metadata: { notes: "n".repeat(1_100_000) } }).catch((e) => e);
    expect(err.code).toBe("ENVELOPE_TOO_LARGE");
    expect(err.details.max_payload).toBe(1_048_576);
    expect(env.files.stats().uploads).toBe(before);
  });

  it("publishing on a closed connection → NATS_CONNECTION_FAILED", async () => {
    const { connect } = await import("nats");
    const nc = await connect({ servers: env.nats.url });
    await nc.close();
    expect(await codeOf(smartsend("s", [["x", "y", "text"]], { nats_connection: nc }))).toBe("NATS_CONNECTION_FAILED");
  });

  it("an unreachable broker → NATS_CONNECTION_FAILED, nothing uploaded", async () => {
    const before = env.files.stats().uploads;
    const err = await smartsend("s", [["x", randomBytes(10), "binary"]], { broker_url: "nats://127.0.0.1:1", size_threshold: 0, fileserver_url: env.files.url }).catch((e) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("NATS_CONNECTION_FAILED");
    expect(err.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.files.stats().uploads).toBe(before);
  });

  it("file server down while a payload must go by link → UPLOAD_FAILED and nothing published", async () => {
    const subject = uniqueSubject("fsdown");
    const seen = await collect(env.nc, subject);
    const err = await smartsend(subject, [["small", "hi", "text"], ["big", randomBytes(2000), "binary"]], {
      broker_url: env.nats.url,
      fileserver_url: "http://127.0.0.1:1",
      size_threshold: 1000,
      correlation_id: "trace-me",
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("UPLOAD_FAILED");
    expect(err.correlation_id).toBe("trace-me");
    await env.nc.flush();
    await new Promise((r) => setTimeout(r, 200));
    seen.stop();
    expect(seen.messages).toHaveLength(0);
  });

  it("an upload handler reporting a non-200 status → UPLOAD_FAILED and nothing published", async () => {
    const subject = uniqueSubject("fs500");
    const seen = await collect(env.nc, subject);
    const err = await smartsend(subject, [["big", randomBytes(10), "binary"]], {
      broker_url: env.nats.url,
      size_threshold: 0,
      fileserver_upload_handler: async () => ({ status: 500, url: "http://127.0.0.1:1/x" }),
    }).catch((e) => e);
    expect(err.code).toBe("UPLOAD_FAILED");
    await env.nc.flush();
    seen.stop();
    expect(seen.messages).toHaveLength(0);
  });
});

describe("fetchWithBackoff", () => {
  let server: Server;
  let base: string;
  const hits: number[] = [];
  let failFirst = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(Date.now());
      if (req.url === "/hang") return; // never answers
      if (hits.length <= failFirst) {
        res.writeHead(503).end("busy");
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.from("payload!"));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("retries a failing download with growing delays, then succeeds", async () => {
    hits.length = 0;
    failFirst = 3;
    const got = await fetchWithBackoff(`${base}/f`, 5, 50, 1000, "cid");
    expect(new TextDecoder().decode(got)).toBe("payload!");
    expect(hits).toHaveLength(4);
    const gaps = hits.slice(1).map((t, i) => t - hits[i]!);
    // 50, 100, 200 ms: each wait is at least its own (doubled) delay. Only lower bounds: a loaded
    // machine can stretch any gap, so comparing gaps with each other or with a ceiling is flaky.
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
  });

  it("caps the delay at max_delay and gives up with DOWNLOAD_FAILED after max_retries", async () => {
    hits.length = 0;
    failFirst = 100;
    const err = await fetchWithBackoff(`${base}/f`, 7, 40, 60, "cid-2").catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.correlation_id).toBe("cid-2");
    // The status is in details; the message does not tell a sender what the target answered.
    expect(err.details).toMatchObject({ reason: "http_status", status: 503, attempts: 7 });
    expect(hits).toHaveLength(7);
    // Capped: 40 + 5 × 60 = 340 ms of sleeping. Uncapped doubling would sleep 40 + 80 + … + 1280 =
    // 2520 ms, so a 1500 ms bound tells the two apart with room for a slow machine.
    expect(hits.at(-1)! - hits[0]!).toBeGreaterThanOrEqual(330);
    expect(hits.at(-1)! - hits[0]!).toBeLessThan(1500);
  });

  it("a server that stalls hits the per-attempt timeout instead of hanging", async () => {
    const err = await fetchWithBackoff(`${base}/hang`, 2, 10, 10, "cid-3", { timeout_ms: 150 }).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "attempt" });
  });

  it("smartreceive uses it for links: failing then succeeding downloads are delivered", async () => {
    hits.length = 0;
    failFirst = 2;
    const e = await validEnvelope();
    Object.assign(e.payloads[0], { transport: "link", encoding: "none", data: `${base}/f`, size: 8 });
    e.payloads[0].payload_type = "binary";
    const got = await smartreceive(JSON.stringify(e), { base_delay: 20, allowed_origins: [base] });
    expect(new TextDecoder().decode(got.payloads[0]![1] as Uint8Array)).toBe("payload!");
    expect(hits).toHaveLength(3);
  });

  it("a truncated link download (size mismatch) → DOWNLOAD_FAILED", async () => {
    failFirst = 0;
    const e = await validEnvelope();
    Object.assign(e.payloads[0], { transport: "link", encoding: "none", data: `${base}/f`, size: 9000 });
    const err = await smartreceive(JSON.stringify(e), { allowed_origins: [base] }).catch((x) => x);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details.reason).toBe("size_mismatch");
  });
});

describe("serializer registry", () => {
  it("lets users add a payload type", async () => {
    registerSerializer("csv", {
      serialize: (rows: string[][]) => new TextEncoder().encode(rows.map((r) => r.join(",")).join("\n")),
      deserialize: (b) => new TextDecoder().decode(b).split("\n").map((l) => l.split(",")),
    });
    try {
      const [, json] = await smartsend("csv", [["c", [["a", "b"], ["1", "2"]], "csv" as never]] as never, { is_publish: false });
      const got = await smartreceive(json);
      expect(got.payloads[0]).toEqual(["c", [["a", "b"], ["1", "2"]], "csv"]);
    } finally {
      unregisterSerializer("csv");
    }
    expect(await codeOf(smartsend("csv", [["c", [], "csv" as never]] as never, { is_publish: false }))).toBe("INVALID_PAYLOAD_TYPE");
  });
});

describe("large envelopes parsed from bytes (base64 kept out of JSON.parse)", () => {
  const big = randomBytes(40_000, 11);
  const enc = (o: unknown) => new TextEncoder().encode(typeof o === "string" ? o : JSON.stringify(o));

  it("decodes several large direct payloads exactly", async () => {
    const [, json] = await smartsend("bulk", [["a", big, "binary"], ["t", "é".repeat(20_000), "text"], ["b", randomBytes(50_000, 12), "image"]], { is_publish: false });
    const got = await smartreceive(enc(json));
    expect(got.payloads[0]![1]).toEqual(big);
    expect(got.payloads[1]![1]).toBe("é".repeat(20_000));
    expect(got.payloads[2]![1]).toEqual(randomBytes(50_000, 12));
  });

  it("a long `data` string elsewhere (envelope metadata) is returned as it was", async () => {
    const long = "Z".repeat(30_000);
    const [, json] = await smartsend("bulk", [["a", big, "binary"]], { is_publish: false, metadata: { data: long, nested: { "x\"data": long } } });
    const got = await smartreceive(enc(json));
    expect(got.metadata).toEqual({ data: long, nested: { 'x"data': long } });
    expect(got.payloads[0]![1]).toEqual(big);
  });

  it("a link payload whose URL is long is not mistaken for base64", async () => {
    const e = JSON.parse((await smartsend("bulk", [["a", big, "binary"]], { is_publish: false }))[1]);
    Object.assign(e.payloads[0], { transport: "link", encoding: "none", data: `http://127.0.0.1:1/${"p".repeat(20_000)}`, size: 1 });
    const err = await smartreceive(enc(e), { max_retries: 1, allowed_origins: ["http://127.0.0.1:1"] }).catch((x) => x);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details.reason).toBe("network");
  });

  it("invalid UTF-8 inside large data → INVALID_ENVELOPE, as for a small message", async () => {
    const [, json] = await smartsend("bulk", [["a", big, "binary"]], { is_publish: false });
    const bytes = enc(json);
    bytes[bytes.length - 200] = 0xff;
    expect(await codeOf(smartreceive(bytes))).toBe("INVALID_ENVELOPE");
  });

  it("a bad character inside large base64 → DESERIALIZATION_ERROR", async () => {
    const [, json] = await smartsend("bulk", [["a", big, "binary"]], { is_publish: false });
    const bytes = enc(json);
    bytes[bytes.length - 200] = "*".charCodeAt(0);
    expect(await codeOf(smartreceive(bytes))).toBe("DESERIALIZATION_ERROR");
  });

  it("truncated large messages → INVALID_ENVELOPE", async () => {
    const [, json] = await smartsend("bulk", [["a", big, "binary"]], { is_publish: false });
    expect(await codeOf(smartreceive(enc(json).subarray(0, 30_000)))).toBe("INVALID_ENVELOPE");
  });
});
