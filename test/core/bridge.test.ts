import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "nats";
import { createBridge, smartsend, smartreceive, payloadTypes, NatsBridgeError, type Serializer, type TransportPolicy } from "../../src/node.js";
import { startBridgeEnv, listen, uniqueSubject, randomBytes, expectSameBytes, type BridgeEnv } from "../helpers/bridge-env.js";
import { startNatsServer } from "../helpers/nats-server.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const upper: Serializer<string, string> = { serialize: (s) => enc.encode(s.toUpperCase()), deserialize: (b) => dec.decode(b) };
const csv: Serializer<string[][], string[][]> = {
  serialize: (rows) => enc.encode(rows.map((r) => r.join(",")).join("\n")),
  deserialize: (b) => dec.decode(b).split("\n").map((l) => l.split(",")),
};

let env: BridgeEnv;
beforeAll(async () => {
  env = await startBridgeEnv();
});
afterAll(() => env?.stop());

describe("bridge instances (issue 7)", () => {
  it("two bridges with different serializers, policies and loggers do not affect each other or the default bridge", async () => {
    const linesA: string[] = [];
    const linesB: string[] = [];
    const linkImages: TransportPolicy = (ps) => ps.map((p) => (p.payload_type === "image" ? "link" : "direct"));
    const a = createBridge({ serializers: { csv, text: upper }, transport: linkImages, logger: (l) => linesA.push(l), log: true, broker_url: env.nats.url, fileserver_url: env.files.url });
    const b = createBridge({ logger: (l) => linesB.push(l), log: true, broker_url: env.nats.url, fileserver_url: env.files.url });
    try {
      const img = randomBytes(50, 1);
      const subject = uniqueSubject("two");
      const got = await listen(env.nc, subject);
      const [sentA] = await a.smartsend(subject, [["t", "hello", "text"], ["c", [["1", "x"]], "csv" as "text"], ["img", img, "image"]] as never, { correlation_id: "cid-A" });
      expect(sentA.payloads.map((p) => p.transport)).toEqual(["direct", "direct", "link"]);
      const recvA = await a.smartreceive(await got.next);
      expect(recvA.payloads[0]).toEqual(["t", "HELLO", "text"]);
      expect(recvA.payloads[1]).toEqual(["c", [["1", "x"]], "csv"]);
      expectSameBytes(recvA.payloads[2]![1], img);

      // b (and the default bridge) know neither csv nor the upper-casing text, and keep the threshold rule.
      expect(b.payloadTypes()).not.toContain("csv");
      expect(payloadTypes()).not.toContain("csv");
      await expect(b.smartsend("s", [["c", [["1"]], "csv" as "text"]] as never, { is_publish: false, correlation_id: "cid-B" })).rejects.toMatchObject({ code: "INVALID_PAYLOAD_TYPE" });
      const [sentB, jsonB] = await b.smartsend(subject, [["t", "hello", "text"], ["img", img, "image"]], { is_publish: false, correlation_id: "cid-B" });
      expect(sentB.payloads.map((p) => p.transport)).toEqual(["direct", "direct"]);
      expect((await b.smartreceive(jsonB)).payloads[0]).toEqual(["t", "hello", "text"]);
      expect((await smartreceive(jsonB)).payloads[0]).toEqual(["t", "hello", "text"]);

      expect(linesA.length).toBeGreaterThan(3);
      expect(linesB.length).toBeGreaterThan(3);
      expect(linesA.filter((l) => !l.includes("cid-A"))).toEqual([]);
      expect(linesB.filter((l) => !l.includes("cid-B"))).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("a registration after creation stays on its bridge; extend copies, then goes its own way", async () => {
    const a = createBridge({ sender_name: "svc-a" });
    a.registerSerializer("csv", csv);
    const child = a.extend({ msg_purpose: "telemetry" });
    a.unregisterSerializer("csv");
    expect(a.payloadTypes()).not.toContain("csv");
    expect(child.payloadTypes()).toContain("csv");
    const [e] = await child.smartsend("s", [["c", [["a"]], "csv" as "text"]] as never, { is_publish: false });
    // Defaults: the parent's sender_name, the child's msg_purpose; a call's own option wins.
    expect(e).toMatchObject({ sender_name: "svc-a", msg_purpose: "telemetry" });
    const [e2] = await child.smartsend("s", [["t", "x", "text"]], { is_publish: false, sender_name: "call", msg_purpose: undefined });
    expect(e2).toMatchObject({ sender_name: "call", msg_purpose: "telemetry" });
    // create: built-ins only, none of the parent's registrations or defaults.
    const fresh = child.create();
    expect(fresh.payloadTypes()).not.toContain("csv");
    const [e3] = await fresh.smartsend("s", [["t", "x", "text"]], { is_publish: false });
    expect(e3).toMatchObject({ sender_name: "NATSBridge", msg_purpose: "chat" });
  });

  it("a custom transport policy decides per payload; the max_payload fit still wins over it", async () => {
    const nats = await startNatsServer({ maxPayload: 64 * 1024 });
    const allDirect: TransportPolicy = (ps) => ps.map(() => "direct");
    const bridge = createBridge({ transport: allDirect, broker_url: nats.url, fileserver_url: env.files.url, size_threshold: 0 });
    const nc = await connect({ servers: nats.url });
    try {
      const subject = uniqueSubject("policy");
      const got = await listen(nc, subject);
      const big = randomBytes(60 * 1024, 2);
      // size_threshold 0 would link both; the policy says direct; 60 KB of base64 cannot fit in 64 KB.
      const [sent] = await bridge.smartsend(subject, [["small", "s", "text"], ["big", big, "binary"]]);
      expect(sent.payloads.map((p) => p.transport)).toEqual(["direct", "link"]);
      const r = await bridge.smartreceive(await got.next);
      expectSameBytes(r.payloads[1]![1], big);
    } finally {
      await bridge.close();
      await nc.close();
      await nats.stop();
    }
  });

  it("a policy that answers nonsense is an option error, and nothing is sent", async () => {
    const bad = createBridge({ transport: () => ["direct"] });
    await expect(bad.smartsend("s", [["a", "1", "text"], ["b", "2", "text"]], { is_publish: false })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    const worse = createBridge({ transport: (ps) => ps.map(() => "pigeon" as "direct") });
    await expect(worse.smartsend("s", [["a", "1", "text"]], { is_publish: false })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  it("retry settings are bridge defaults: each bridge makes its own number of attempts", async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(503).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file/x/y/z`;
    const [, json] = await smartsend("s", [["f", randomBytes(10), "binary"]], {
      is_publish: false, size_threshold: 0, fileserver_upload_handler: async () => ({ status: 200, url }),
    });
    try {
      const origin = new URL(url).origin;
      const once = createBridge({ max_retries: 1, base_delay: 1, allowed_origins: origin });
      const thrice = createBridge({ max_retries: 3, base_delay: 1, max_delay: 2, allowed_origins: origin });
      await expect(once.smartreceive(json)).rejects.toMatchObject({ code: "DOWNLOAD_FAILED" });
      expect(hits).toBe(1);
      hits = 0;
      await expect(thrice.smartreceive(json)).rejects.toMatchObject({ code: "DOWNLOAD_FAILED" });
      expect(hits).toBe(3);
    } finally {
      server.close();
    }
  });
});

describe("errors say whose fault they are (issue 7)", () => {
  it("a bug inside a serializer is INTERNAL_ERROR on send, never dressed as bad data; a throwing deserializer is a verdict on the bytes", async () => {
    const buggy: Serializer = {
      serialize: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
      deserialize: () => {
        throw new TypeError("boom");
      },
    };
    const bridge = createBridge({ serializers: { buggy } });
    const err = await bridge.smartsend("s", [["b", 1, "buggy" as "text"]] as never, { is_publish: false }).catch((e) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("INTERNAL_ERROR");
    expect(err.cause).toBeInstanceOf(TypeError);
    const [, json] = await bridge.smartsend("s", [["t", "x", "text"]], { is_publish: false });
    const asBuggy = json.replace('"payload_type":"text"', '"payload_type":"buggy"');
    await expect(bridge.smartreceive(asBuggy)).rejects.toMatchObject({ code: "DESERIALIZATION_ERROR" });
  });
});

describe("delivery (issue 8 item 6)", () => {
  it("core NATS is at most once: with a dead server a plain publish still resolves; confirm says NATS_CONNECTION_FAILED", async () => {
    const nats = await startNatsServer();
    const nc = await connect({ servers: nats.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      await nats.stop();
      // The client buffers while it reconnects: nothing tells a plain publish that the server is gone.
      const [plain] = await smartsend("dead.subject", [["m", "lost", "text"]], { nats_connection: nc });
      expect(plain.payloads).toHaveLength(1);
      const err = await smartsend("dead.subject", [["m", "checked", "text"]], { nats_connection: nc, confirm: { timeout_ms: 500 } }).catch((e) => e);
      expect(err).toBeInstanceOf(NatsBridgeError);
      expect(err.code).toBe("NATS_CONNECTION_FAILED");
    } finally {
      await nc.close().catch(() => undefined);
    }
  });

  it("confirm resolves once the server has the message", async () => {
    const subject = uniqueSubject("confirm");
    const got = await listen(env.nc, subject);
    await smartsend(subject, [["m", "ok", "text"]], { broker_url: env.nats.url, confirm: true });
    expect((await smartreceive(await got.next)).payloads[0]).toEqual(["m", "ok", "text"]);
  });
});
