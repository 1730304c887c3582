import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableFromArrays, tableToIPC, tableFromIPC, type Table } from "apache-arrow";
import { smartsend, smartreceive, createPlikUploadHandler, NatsBridgeError, type SendTuple } from "../../src/node.js";
import { startBridgeEnv, listen, randomBytes, uniqueSubject, expectSameBytes, type BridgeEnv } from "../helpers/bridge-env.js";

let env: BridgeEnv;
beforeAll(async () => {
  env = await startBridgeEnv();
});
afterAll(async () => {
  await env?.stop();
});

const rows = (t: Table) => t.toArray().map((r) => r.toJSON());

/** One value per type, and how to compare what comes back. */
const samples: Record<string, { value: () => unknown; check: (got: unknown) => void }> = {
  text: { value: () => "héllo wörld 👋", check: (g) => expect(g).toBe("héllo wörld 👋") },
  dictionary: { value: () => ({ a: 1, nested: { b: [1, "two", null, true] }, f: 1.5 }), check: (g) => expect(g).toEqual({ a: 1, nested: { b: [1, "two", null, true] }, f: 1.5 }) },
  jsontable: { value: () => [{ name: "Alice", age: 25 }, { name: "Bob", age: 30 }], check: (g) => expect(g).toEqual([{ name: "Alice", age: 25 }, { name: "Bob", age: 30 }]) },
  arrowtable: {
    value: () => tableFromArrays({ id: Int32Array.from([1, 2, 3]), score: Float64Array.from([1.5, 2.5, 3.5]) }),
    check: (g) => expect(rows(g as Table)).toEqual([{ id: 1, score: 1.5 }, { id: 2, score: 2.5 }, { id: 3, score: 3.5 }]),
  },
  image: { value: () => randomBytes(5000, 2), check: (g) => expect(g).toEqual(randomBytes(5000, 2)) },
  audio: { value: () => randomBytes(3000, 3), check: (g) => expect(g).toEqual(randomBytes(3000, 3)) },
  video: { value: () => randomBytes(7000, 4), check: (g) => expect(g).toEqual(randomBytes(7000, 4)) },
  binary: { value: () => randomBytes(100, 5), check: (g) => expect(g).toEqual(randomBytes(100, 5)) },
};

describe.each(Object.keys(samples))("%s", (type) => {
  for (const transport of ["direct", "link"] as const) {
    it(`round-trips ${transport} through nats-server${transport === "link" ? " and the file server" : ""}`, async () => {
      const subject = uniqueSubject(type);
      const { next } = await listen(env.nc, subject);
      const [sent, json] = await smartsend(subject, [[`my ${type}`, samples[type]!.value(), type] as SendTuple], {
        broker_url: env.nats.url,
        fileserver_url: env.files.url,
        size_threshold: transport === "link" ? 0 : 1_000_000,
      });
      expect(sent.payloads[0]!.transport).toBe(transport);
      expect(JSON.parse(json)).toEqual(sent);
      // The receiver names the file server it trusts (the default allows only http://localhost:8080).
      const got = await smartreceive(await next, { fileserver_url: env.files.url });
      expect(got.correlation_id).toBe(sent.correlation_id);
      expect(got.payloads).toHaveLength(1);
      const [name, data, t] = got.payloads[0]!;
      expect(name).toBe(`my ${type}`);
      expect(t).toBe(type);
      samples[type]!.check(data);
    });
  }
});

describe("envelope on the wire", () => {
  it("carries every seed field in order with the seeds' defaults", async () => {
    const [env1, json] = await smartsend("wire.check", [["m", "hi", "text"]], { is_publish: false });
    expect(Object.keys(JSON.parse(json))).toEqual([
      "correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id",
      "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url", "metadata", "payloads",
    ]);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(env1.correlation_id).toMatch(uuid);
    expect(env1.msg_id).toMatch(uuid);
    expect(env1.sender_id).toMatch(uuid);
    expect(env1.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(env1).toMatchObject({ send_to: "wire.check", msg_purpose: "chat", sender_name: "NATSBridge", receiver_name: "", reply_to: "", broker_url: "nats://localhost:4222", metadata: {} });
    const p = env1.payloads[0]!;
    expect(Object.keys(p)).toEqual(["id", "dataname", "payload_type", "transport", "encoding", "size", "data", "metadata"]);
    expect(p).toMatchObject({ dataname: "m", payload_type: "text", transport: "direct", encoding: "base64", size: 2, data: "aGk=", metadata: { payload_bytes: 2 } });
    expect(p.id).toMatch(uuid);
  });

  it("link payloads carry the URL, encoding none, and empty metadata", async () => {
    const [e] = await smartsend("wire.link", [["big file.bin", randomBytes(10), "binary"]], { is_publish: false, size_threshold: 0, fileserver_url: env.files.url });
    const p = e.payloads[0]!;
    expect(p).toMatchObject({ transport: "link", encoding: "none", size: 10, metadata: {} });
    expect(p.data).toMatch(new RegExp(`^${env.files.url}/file/[^/]+/[^/]+/big%20file\\.bin$`));
  });
});

describe("mixed envelopes", () => {
  it("sends text, dictionary, tables and media together, some direct and some linked", async () => {
    const subject = uniqueSubject("mixed");
    const { next } = await listen(env.nc, subject);
    const big = randomBytes(300_000, 9);
    const [sent] = await smartsend(
      subject,
      [
        ["msg", "Hello!", "text"],
        ["cfg", { interval: 60 }, "dictionary"],
        ["users", [{ n: "a" }], "jsontable"],
        ["scores", [{ x: 1, y: "a" }, { x: 2, y: "b" }], "arrowtable"],
        ["avatar", randomBytes(2000, 7), "image"],
        ["dump", big, "binary"],
      ],
      { broker_url: env.nats.url, fileserver_url: env.files.url, size_threshold: 100_000 },
    );
    expect(sent.payloads.map((p) => p.transport)).toEqual(["direct", "direct", "direct", "direct", "direct", "link"]);
    const got = await smartreceive(await next, { fileserver_url: env.files.url });
    expect(got.payloads.map(([n, , t]) => [n, t])).toEqual([
      ["msg", "text"], ["cfg", "dictionary"], ["users", "jsontable"], ["scores", "arrowtable"], ["avatar", "image"], ["dump", "binary"],
    ]);
    expect(got.payloads[0]![1]).toBe("Hello!");
    expect(got.payloads[1]![1]).toEqual({ interval: 60 });
    expect(rows(got.payloads[3]![1] as Table)).toEqual([{ x: 1, y: "a" }, { x: 2, y: "b" }]);
    expect(got.payloads[4]![1]).toEqual(randomBytes(2000, 7));
    expectSameBytes(got.payloads[5]![1], big);
  });
});

describe("arrowtable", () => {
  const table = tableFromArrays({ a: Int32Array.from([1, 2]), b: ["x", "y"] });
  it("sends the IPC file format (readable by pyarrow.ipc.open_file)", async () => {
    const [e] = await smartsend("arrow.fmt", [["t", table, "arrowtable"]], { is_publish: false });
    const bytes = Buffer.from(e.payloads[0]!.data, "base64");
    expect(bytes.subarray(0, 6).toString()).toBe("ARROW1");
    expect(bytes.subarray(bytes.length - 6).toString()).toBe("ARROW1");
  });
  for (const format of ["stream", "file"] as const) {
    it(`reads the IPC ${format} format from a peer`, async () => {
      const ipc = tableToIPC(table, format);
      const [e] = await smartsend("arrow.in", [["t", ipc, "binary"]], { is_publish: false });
      e.payloads[0]!.payload_type = "arrowtable";
      const got = await smartreceive(JSON.stringify(e));
      expect(rows(got.payloads[0]![1] as Table)).toEqual([{ a: 1, b: "x" }, { a: 2, b: "y" }]);
    });
  }
  it("infers natural column types from row objects", async () => {
    const [e] = await smartsend("arrow.rows", [["t", [{ i: 1, f: 1.5, s: "a", b: true, n: null }, { i: 2, f: 2, s: "b", b: false, n: null }], "arrowtable"]], { is_publish: false });
    const t = tableFromIPC(Buffer.from(e.payloads[0]!.data, "base64"));
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["i:Int32", "f:Float64", "s:Utf8", "b:Bool", "n:Null"]);
  });
});

describe("jsontable", () => {
  it("sends a column-oriented object as rows", async () => {
    const [e] = await smartsend("jt.cols", [["t", { Name: ["Alice", "Bob"], Age: [25, 30] }, "jsontable"]], { is_publish: false });
    expect(Buffer.from(e.payloads[0]!.data, "base64").toString()).toBe('[{"Name":"Alice","Age":25},{"Name":"Bob","Age":30}]');
  });
  it("rejects columns of unequal length", async () => {
    await expect(smartsend("jt.bad", [["t", { a: [1, 2], b: [1] }, "jsontable"]], { is_publish: false })).rejects.toMatchObject({ code: "SERIALIZATION_ERROR" });
  });
  it("reads a column-oriented object from a peer as rows", async () => {
    const [e] = await smartsend("jt.peer", [["t", new TextEncoder().encode('{"a": [1, 2], "b": ["x", "y"]}'), "binary"]], { is_publish: false });
    e.payloads[0]!.payload_type = "jsontable";
    const got = await smartreceive(e as never);
    expect(got.payloads[0]![1]).toEqual([{ a: 1, b: "x" }, { a: 2, b: "y" }]);
  });
});

describe("reply_to", () => {
  it("round-trips a request and its reply between two connections", async () => {
    const requests = uniqueSubject("device.command");
    const replies = uniqueSubject("device.response");
    // The responder: its own nats.js connection, answering on reply_to with reply_to_msg_id set.
    const responderSub = env.nc.subscribe(requests, { max: 1 });
    const responder = (async () => {
      for await (const m of responderSub) {
        const req = await smartreceive(m);
        const [, cmd] = req.payloads[0]!;
        await smartsend(req.reply_to, [["data", { sensor_id: "sensor-001", value: 42.5, echo: (cmd as { action: string }).action }, "dictionary"]], {
          nats_connection: env.nc,
          reply_to_msg_id: req.msg_id,
          correlation_id: req.correlation_id,
          msg_purpose: "ACK",
        });
      }
    })();
    await env.nc.flush();
    const { next } = await listen(env.nc, replies);
    const [req] = await smartsend(requests, [["command", { action: "read_sensor" }, "dictionary"]], { broker_url: env.nats.url, reply_to: replies });
    const reply = await smartreceive(await next);
    await responder;
    expect(reply.reply_to_msg_id).toBe(req.msg_id);
    expect(reply.correlation_id).toBe(req.correlation_id);
    expect(reply.msg_purpose).toBe("ACK");
    expect(reply.payloads).toEqual([["data", { sensor_id: "sensor-001", value: 42.5, echo: "read_sensor" }, "dictionary"]]);
  });
});

describe("one-shot and TTL uploads", () => {
  it("a one-shot link downloads once; the second receive fails cleanly with DOWNLOAD_FAILED", async () => {
    const [e, json] = await smartsend("oneshot", [["f", randomBytes(1000), "binary"]], { is_publish: false, size_threshold: 0, fileserver_url: env.files.url });
    const first = await smartreceive(json, { fileserver_url: env.files.url });
    expect(first.payloads[0]![1]).toEqual(randomBytes(1000));
    const err = await smartreceive(json, { fileserver_url: env.files.url, max_retries: 2, base_delay: 10 }).catch((x) => x);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.correlation_id).toBe(e.correlation_id);
    // What the server answered is in details, not in the message (docs/security.md).
    expect(err.details).toMatchObject({ reason: "http_status", status: 404 });
  });
  it("a TTL (non-one-shot) upload serves several receivers", async () => {
    const [, json] = await smartsend("fanout", [["f", randomBytes(1000, 3), "binary"]], {
      is_publish: false,
      size_threshold: 0,
      fileserver_url: env.files.url,
      fileserver_upload_handler: createPlikUploadHandler({ oneShot: false, ttl: 60 }),
    });
    for (let i = 0; i < 3; i++) expect((await smartreceive(json, { fileserver_url: env.files.url })).payloads[0]![1]).toEqual(randomBytes(1000, 3));
  });
});

describe("Plik file names", () => {
  it("datanames with slashes, quotes and control characters still give a working link, and travel unchanged", async () => {
    for (const dataname of ['dir/sub/file.bin', 'a"quoted".bin', "tab\there", "..", "", "ünïcødé 文件.bin"]) {
      const [e, json] = await smartsend("names", [[dataname, randomBytes(64, 8), "binary"]], { is_publish: false, size_threshold: 0, fileserver_url: env.files.url });
      expect(e.payloads[0]!.data).not.toMatch(/%2F|%22|%09/i);
      const got = await smartreceive(json, { fileserver_url: env.files.url });
      expect(got.payloads[0]![0]).toBe(dataname);
      expect(got.payloads[0]![1]).toEqual(randomBytes(64, 8));
    }
  });
});
