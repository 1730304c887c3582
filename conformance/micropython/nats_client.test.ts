/**
 * natsbridge_mpy.py's own socket NATS client (run under CPython, the same code a MicroPython
 * board runs) against a real nats-server, with natsbridge (TypeScript) on the other end:
 * mpy publishes → TS `nats` subscriber + smartreceive; TS smartsend → mpy subscriber;
 * request/reply; link transport through the dev file server; max_payload from INFO.
 * The MicroPython-wasm port has no sockets, so its run of the client is the scripted-socket
 * test at the end (same protocol code, fake transport).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection, type Subscription } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { close, smartreceive, smartsend } from "../../src/node.js";
import { startTestFileServer, type FileServer } from "../../test/helpers/fileserver.js";
import { startNatsServer, type NatsServerHandle } from "../../test/helpers/nats-server.js";
import { conformanceDir, diff, fromMarked, toMarked } from "../lib/vectors.js";
import { runPython } from "./run-mpy.mjs";

const PYTHON = process.env.PYTHON ?? "python3";
const PEER = join(conformanceDir, "python", "mpy_nats_peer.py");

interface Peer {
  lines: any[];
  /** Resolves with the first output line matching `pred`. */
  waitFor(pred: (l: any) => boolean, ms?: number): Promise<any>;
  exit: Promise<number>;
}

function startPeer(args: string[], stdin?: string): Peer {
  const p = spawn(PYTHON, [PEER, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: any[] = [];
  const waiters: { pred: (l: any) => boolean; resolve: (l: any) => void }[] = [];
  let stderr = "";
  let buf = "";
  p.stdout.setEncoding("utf8");
  p.stdout.on("data", (chunk: string) => {
    buf += chunk;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) if (w.pred(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line));
    }
  });
  p.stderr.on("data", (c) => (stderr += c));
  const exit = new Promise<number>((resolve, reject) => {
    p.on("error", (e) => reject(new Error(`cannot run ${PYTHON} (CPython is required): ${e.message}`)));
    p.on("close", (code) => (code === 0 ? resolve(0) : reject(new Error(`peer ${args[0]} exited ${code}\n${stderr}\n${JSON.stringify(lines)}`))));
  });
  exit.catch(() => {});
  if (stdin !== undefined) p.stdin.end(stdin);
  else p.stdin.end();
  return {
    lines,
    exit,
    waitFor(pred, ms = 20_000) {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return Promise.race([
        new Promise((resolve) => waiters.push({ pred, resolve })),
        exit.then(() => Promise.reject(new Error(`peer exited without the expected line: ${JSON.stringify(lines)}`))),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`peer: no expected line within ${ms} ms: ${JSON.stringify(lines)}\n`)), ms)),
      ]);
    },
  };
}

async function nextMsg(sub: Subscription, ms = 20_000) {
  const it = sub[Symbol.asyncIterator]();
  const r = await Promise.race([it.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no message")), ms))]);
  if (r.done) throw new Error("subscription closed");
  return r.value;
}

/** TS smartsend by link to an mpy peer receiving on `subject` (extra receive args: a sink dir);
 * resolves with the peer's decoded envelope (vector-marked). */
async function sendByLinkToMpy(subject: string, payloads: [string, unknown, string][], extra: string[] = []) {
  const rx = startPeer(["receive", nats.url, subject, "1", ...extra]);
  await rx.waitFor((l) => l.ready);
  await smartsend(subject, payloads as any, { broker_url: nats.url, fileserver_url: files.url, size_threshold: 10_000 });
  const got = await rx.waitFor((l) => l.received || l.error);
  await rx.exit;
  expect(got.error, got.message).toBeUndefined();
  return got.received;
}

const fail = (why: string | null) => {
  if (why) expect.fail(why);
};

const payloads: [string, unknown, string][] = [
  ["message_text", "Hello from the device — Grüße 😀", "text"],
  ["reading", { t: 23.5, id: 2n ** 63n - 1n, tags: ["a", "ü"], ok: true, none: null }, "dictionary"],
  ["table", [["Alice", 25, 88.5], ["Bob", 30, 92]], "jsontable"],
  ["raw", Uint8Array.from({ length: 256 }, (_, i) => i), "binary"],
];

let nats: NatsServerHandle;
let small: NatsServerHandle;
let files: FileServer;
let nc: NatsConnection;

beforeAll(async () => {
  [nats, small, files] = await Promise.all([startNatsServer(), startNatsServer({ maxPayload: 4096 }), startTestFileServer()]);
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.drain().catch(() => {});
  await close();
  await Promise.all([nats?.stop(), small?.stop(), files?.close()]);
});

describe("natsbridge_mpy socket NATS client ⇄ natsbridge over nats-server", () => {
  it("mpy client publishes an envelope; a TS `nats` subscriber decodes it with smartreceive", async () => {
    const sub = nc.subscribe("conf.mpy.to.ts", { max: 1 });
    await nc.flush();
    const spec = { payloads: payloads.map(([n, v, t]) => [n, toMarked(v), t]), options: { correlation_id: "mpy-pub-1", reply_to: "conf.back" } };
    const peer = startPeer(["send", nats.url, "conf.mpy.to.ts"], JSON.stringify(spec));
    const msg = await nextMsg(sub);
    await peer.exit;
    const sent = peer.lines.find((l) => l.sent);
    expect(new TextDecoder().decode(msg.data)).toBe(sent.sent);
    expect(sent.max_payload).toBe(1024 * 1024);
    const env = await smartreceive(msg);
    expect(env.correlation_id).toBe("mpy-pub-1");
    expect(env.send_to).toBe("conf.mpy.to.ts");
    expect(env.reply_to).toBe("conf.back");
    expect(env.broker_url).toBe(nats.url);
    payloads.forEach(([name, value, type], i) => {
      expect(env.payloads[i]![0]).toBe(name);
      expect(env.payloads[i]![2]).toBe(type);
      fail(diff(env.payloads[i]![1], value, `payload ${name}`));
    });
  });

  it("TS smartsend publishes; the mpy client's subscription receives and decodes it", async () => {
    const peer = startPeer(["receive", nats.url, "conf.ts.to.mpy", "1"]);
    await peer.waitFor((l) => l.ready);
    const [sentEnv] = await smartsend("conf.ts.to.mpy", payloads as any, { broker_url: nats.url, correlation_id: "ts-pub-1" });
    const got = await peer.waitFor((l) => l.received || l.error);
    await peer.exit;
    expect(got.error).toBeUndefined();
    const env = fromMarked(got.received);
    expect(env.correlation_id).toBe("ts-pub-1");
    expect(env.msg_id).toBe(sentEnv.msg_id);
    expect(env.timestamp).toBe(sentEnv.timestamp);
    payloads.forEach(([name, value, type], i) => {
      expect(env.payloads[i]).toHaveLength(3);
      expect(env.payloads[i][0]).toBe(name);
      expect(env.payloads[i][2]).toBe(type);
      fail(diff(env.payloads[i][1], value, `payload ${name}`));
    });
  });

  it("request/reply: TS asks with reply_to, the mpy client answers on it with reply_to_msg_id", async () => {
    const peer = startPeer(["echo", nats.url, "conf.echo", "1"]);
    await peer.waitFor((l) => l.ready);
    const inbox = "conf.reply." + Date.now();
    const sub = nc.subscribe(inbox, { max: 1 });
    await nc.flush();
    const [req] = await smartsend("conf.echo", [["command", { action: "read_sensor" }, "dictionary"]], {
      nats_connection: nc as any,
      reply_to: inbox,
      msg_purpose: "command",
    });
    const reply = await smartreceive(await nextMsg(sub));
    await peer.exit;
    expect(reply.correlation_id).toBe(req.correlation_id);
    expect(reply.reply_to_msg_id).toBe(req.msg_id);
    expect(reply.msg_purpose).toBe("ACK");
    expect(reply.sender_name).toBe("mpy-echo");
    expect(reply.payloads).toEqual([["command", { action: "read_sensor" }, "dictionary"]]);
  });

  it("link transport both ways through the dev file server (the device's tiny HTTP client)", async () => {
    const big = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) & 0xff);
    // mpy → TS: uploaded by natsbridge_mpy's Plik client, downloaded by natsbridge.
    const sub = nc.subscribe("conf.link.to.ts", { max: 1 });
    await nc.flush();
    const spec = {
      payloads: [["big.bin", toMarked(big), "binary"], ["note", "small stays direct", "text"]],
      options: { size_threshold: 10_000, fileserver_url: files.url },
    };
    const peer = startPeer(["send", nats.url, "conf.link.to.ts"], JSON.stringify(spec));
    const msg = await nextMsg(sub);
    await peer.exit;
    const wire = JSON.parse(new TextDecoder().decode(msg.data));
    expect(wire.payloads.map((p: any) => p.transport)).toEqual(["link", "direct"]);
    expect(wire.payloads[0].data).toMatch(new RegExp(`^${files.url}/file/[^/]+/[^/]+/big\\.bin$`));
    expect(wire.payloads[0]).toMatchObject({ encoding: "none", size: big.length, metadata: {} });
    const env = await smartreceive(msg, { fileserver_url: files.url });
    fail(diff(env.payloads[0]![1], big, "linked payload"));
    expect(env.payloads[1]).toEqual(["note", "small stays direct", "text"]);

    // TS → mpy: uploaded by natsbridge, downloaded by natsbridge_mpy's fetch_with_backoff.
    const e2 = fromMarked(await sendByLinkToMpy("conf.link.to.mpy", [["big bin ü.bin", big, "binary"]]));
    expect(e2.payloads[0][0]).toBe("big bin ü.bin");
    fail(diff(e2.payloads[0][1], big, "downloaded by mpy"));
  });

  it("link transport from and to files on the device: uploaded and downloaded in 1 KB pieces", async () => {
    const dir = mkdtempSync(join(tmpdir(), "natsbridge-mpy-link-"));
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13 + 5) & 0xff);
    writeFileSync(join(dir, "reading.bin"), big);
    // mpy → TS: the payload is an nb.File; the multipart body streams from the file.
    const sub = nc.subscribe("conf.file.to.ts", { max: 1 });
    await nc.flush();
    const spec = { payloads: [["note", "from a file", "text"]], files: [["reading.bin", join(dir, "reading.bin"), "binary"]], options: { fileserver_url: files.url } };
    const peer = startPeer(["send", nats.url, "conf.file.to.ts"], JSON.stringify(spec));
    const msg = await nextMsg(sub);
    await peer.exit;
    const wire = JSON.parse(new TextDecoder().decode(msg.data));
    expect(wire.payloads.map((p: any) => [p.dataname, p.transport, p.size])).toEqual([["note", "direct", 11], ["reading.bin", "link", big.length]]);
    const env = await smartreceive(msg, { fileserver_url: files.url });
    fail(diff(env.payloads[1]![1], big, "uploaded from the device's file"));

    // TS → mpy: link_sink hands smartreceive a file; the body is written there piece by piece.
    const received = await sendByLinkToMpy("conf.file.to.mpy", [["blob", big, "binary"], ["hi", "direct stays in memory", "text"]], [dir]);
    const [blob, hi] = received.payloads;
    expect(blob[0]).toBe("blob");
    expect(blob[1].$file).toMatch(/link-1\.bin$/);
    fail(diff(new Uint8Array(readFileSync(blob[1].$file)), big, "downloaded into the device's file"));
    expect(hi).toEqual(["hi", "direct stays in memory", "text"]);
  });

  it("reads max_payload from INFO: a payload that fits the threshold but not the server goes link", async () => {
    const ncSmall = await connect({ servers: small.url });
    try {
      const sub = ncSmall.subscribe("conf.small", { max: 1 });
      await ncSmall.flush();
      const blob = Uint8Array.from({ length: 3500 }, (_, i) => i & 0xff); // 3500 B → ~4.7 KB of base64
      const spec = {
        payloads: [["blob", toMarked(blob), "binary"], ["hi", "tiny", "text"]],
        options: { size_threshold: 100_000, fileserver_url: files.url },
      };
      const peer = startPeer(["send", small.url, "conf.small"], JSON.stringify(spec));
      const msg = await nextMsg(sub);
      await peer.exit;
      expect(peer.lines.find((l) => l.sent).max_payload).toBe(4096);
      expect(msg.data.length).toBeLessThanOrEqual(4096);
      const wire = JSON.parse(new TextDecoder().decode(msg.data));
      expect(wire.payloads.map((p: any) => p.transport)).toEqual(["link", "direct"]);
      const env = await smartreceive(msg, { fileserver_url: files.url });
      fail(diff(env.payloads[0]![1], blob, "blob"));

      // The payload must be linked but the file server is unreachable: UPLOAD_FAILED, nothing published.
      const bad = { ...spec, options: { ...spec.options, fileserver_url: "http://127.0.0.1:9" } };
      const p2 = startPeer(["send", small.url, "conf.small"], JSON.stringify(bad));
      await expect(p2.exit).rejects.toThrow(/exited 2/);
      expect(p2.lines.at(-1).error).toBe("UPLOAD_FAILED");
    } finally {
      await ncSmall.close();
    }
  });

  it("a fatal server -ERR (Maximum Payload Violation) surfaces as NATS_CONNECTION_FAILED", () => {
    // Lie about max_payload so the client sends what the server refuses; the server answers
    // -ERR and closes the connection.
    const script = [
      "import sys; sys.path.insert(0, sys.argv[1])",
      "import natsbridge_mpy as nb",
      "c = nb.NATSClient(sys.argv[2]); c.connect(); c.max_payload = 10**6",
      "try:",
      "    c.publish('conf.big', b'x' * 5000); c.flush(5)",
      "    print('no error')",
      "except nb.NatsBridgeError as e:",
      "    print(e.code, e.message)",
    ].join("\n");
    const r = spawnSync(PYTHON, ["-c", script, join(conformanceDir, "micropython"), small.url], { encoding: "utf8", timeout: 30_000 });
    if (r.error) throw new Error(`cannot run ${PYTHON}: ${r.error.message}`);
    expect(r.stdout.trim(), r.stderr).toMatch(/^NATS_CONNECTION_FAILED .*maximum payload/i);
  });

  it("an unreachable broker is NATS_CONNECTION_FAILED", async () => {
    const peer = startPeer(["send", "nats://127.0.0.1:9", "x"], JSON.stringify({ payloads: [] }));
    await expect(peer.exit).rejects.toThrow(/exited 2/);
    expect(peer.lines.at(-1).error).toBe("NATS_CONNECTION_FAILED");
  });
});

/** A socket that plays back the server's chunks (recv only, like the simplest ports) and keeps what was sent. */
const FAKE_SOCK = `
import natsbridge_mpy as nb

class FakeSock:
    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.sent = b""
    def settimeout(self, t):
        pass
    def recv(self, n):
        if not self.chunks:
            raise OSError(110)
        c = self.chunks.pop(0)
        if len(c) > n:
            self.chunks.insert(0, c[n:])
            c = c[:n]
        return c
    def sendall(self, b):
        self.sent += bytes(b)
    def close(self):
        pass
`;

describe("natsbridge_mpy NATS protocol code on the MicroPython runtime (scripted socket)", () => {
  it("parses INFO/MSG/PING/+OK/-ERR and writes CONNECT/SUB/PUB/PONG exactly", async () => {
    const out = await runPython(FAKE_SOCK + `

env, js = nb.smartsend("dev.1", [("m", "héllo", "text")], is_publish=False, correlation_id="c1")
body = js.encode()
server = [b'INFO {"server_id":"X","version":"2.10.22","proto":1,"max_payload":2048,"headers":true}\\r\\n',
          b"+OK\\r\\nPO", b"NG\\r\\n", b"PING\\r\\n",
          ("MSG dev.1 1 _INBOX.r " + str(len(body)) + "\\r\\n").encode() + body[:10], body[10:] + b"\\r\\n",
          b"-ERR 'Permissions Violation for Publish to \\"x\\"'\\r\\n", b"PONG\\r\\n"]
s = FakeSock(server)
c = nb.NATSClient("nats://u%40x:p%3Aw@h:1", sock=s)
c.connect()
print("max_payload", c.max_payload)
sid = c.subscribe("dev.1")
m = c.next_msg(1.0)
print("msg", m.subject, m.sid, m.reply, len(m.data) == len(body))
e = nb.smartreceive(m)
print("payload", e["payloads"][0][0], e["payloads"][0][1] == "h\\u00e9llo", e["correlation_id"])
c.publish("dev.out", b"xyz", reply="r.1")
c.flush(1.0)
print("errors", c.server_errors)
print("sent", repr(s.sent))
try:
    c.publish("dev.big", b"x" * 4096)
except nb.NatsBridgeError as err:
    print("too large", err.code)
`);
    expect(out[0]).toBe("max_payload 2048");
    expect(out[1]).toBe("msg dev.1 1 _INBOX.r True");
    expect(out[2]).toBe("payload m True c1");
    expect(out[3]).toBe(`errors ['Permissions Violation for Publish to "x"']`);
    const sent = out[4]!;
    expect(sent).toContain(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"lang":"micropython"`);
    expect(sent).toContain(`"user":"u@x","pass":"p:w"`);
    expect(sent).toContain(String.raw`\r\nPING\r\nSUB dev.1 1\r\nPONG\r\nPUB dev.out r.1 3\r\nxyz\r\nPING\r\n`);
    expect(out[5]).toBe("too large ENVELOPE_TOO_LARGE");
  });

  it("a MicroPython socket: readinto reads until the buffer is full unless non-blocking, so the client polls first", async () => {
    // As the unix port's and lwIP's sockets behave: a blocking readinto with less data than the
    // buffer waits, and its timeout loses what it read; non-blocking, it returns what is there.
    // Before the client polled, connect failed here with "server did not send INFO".
    const out = await runPython(`
import io, select
import natsbridge_mpy as nb

class MpSock(io.IOBase):
    def __init__(self, chunks):
        self.chunks = list(chunks)
        self.data = bytearray()
        self.blocking = True
        self.sent = bytearray()
    def _arrive(self):
        if self.chunks:
            self.data += self.chunks.pop(0)
    def ioctl(self, req, arg):
        if req == 3:  # MP_STREAM_POLL: data arrives while the client waits
            if not self.data:
                self._arrive()
            return arg & 1 if self.data else 0
        return 0
    def setblocking(self, flag):
        self.blocking = flag
    def settimeout(self, t):
        self.blocking = t != 0
    def readinto(self, mv):
        n = len(mv)
        if self.blocking and len(self.data) < n:
            self.data = bytearray()
            raise OSError(110)
        if not self.data:
            return None
        k = min(n, len(self.data))
        mv[:k] = self.data[:k]
        self.data = self.data[k:]
        return k
    def write(self, b):
        self.sent += b
        return len(b)
    def close(self):
        pass

env, js = nb.smartsend("s", [("m", "hi", "text")], is_publish=False, correlation_id="c1")
body = js.encode()
s = MpSock([b'INFO {"server_id":"X","max_payload":4096}\\r\\n', b"PONG\\r\\n",
            b"MSG s 1 " + str(len(body)).encode() + b"\\r\\n" + body[:20], body[20:] + b"\\r\\n"])
c = nb.NATSClient("nats://h:1", sock=s, timeout=0.5).connect()
print("max_payload", c.max_payload, c.tls_required)
c.subscribe("s")
print("payload", nb.smartreceive(c.next_msg(0.5))["payloads"][0])
print("timeout", c.next_msg(0.05))
`);
    expect(out).toEqual(["max_payload 4096 False", "payload ('m', 'hi', 'text')", "timeout None"]);
  });

  it("INFO is read by a scan that skips strings and nested values whole, and refuses a broken object", async () => {
    const out = await runPython(FAKE_SOCK + `
from natsbridge_nats import json_members

def info(text):
    try:
        c = nb.NATSClient("nats://h:1", sock=FakeSock((b"INFO " + text + b"\\r\\n", b"PONG\\r\\n")), timeout=0.2)
        c.connect()
        return (c.max_payload, c.tls_required)
    except nb.NatsBridgeError as e:
        return e.code

print(info(b'{"server_name":"\\\\"max_payload\\\\":5","x":{"max_payload":6,"tls_required":true},"max_payload":2048}'))
print(info(b'{"tls_required":true}'))
print(info(b'{"max_payload":-1}'), info(b'{"max_payload":"9"}'), info(b'{"server_name":"\xff\xfe","max_payload":9}'))
for bad in (b'', b'{', b'{"a":}', b'{"a":1,}', b'{"a" 1}', b'[1]', b'{"a":"x}', b'{"a":1}x', b'{"a":[1}'):
    print(repr(bad), info(bad))
print(json_members(b' { "id" : "up1" , "uploadToken":"t\\\\u0041" } ', (b"id", b"uploadToken")))
`);
    expect(out[0]).toBe("(2048, False)");
    expect(out[1]).toBe("NATS_CONNECTION_FAILED");
    expect(out[2]).toBe("(1048576, False) (1048576, False) (9, False)"); // only the two members are read
    expect(out.slice(3, 12).every((l) => l.endsWith(" NATS_CONNECTION_FAILED"))).toBe(true);
    expect(out[12]).toBe(String.raw`{b'id': b'"up1"', b'uploadToken': b'"t\\u0041"'}`);
  });

  it("a hostile server or message: coded errors, bounded memory, the receive buffer decoded in place", async () => {
    const out = await runPython(FAKE_SOCK + `

INFO = b'INFO {"server_id":"X","max_payload":4096}\\r\\n'

def client(*chunks):
    c = nb.NATSClient("nats://h:1", sock=FakeSock((INFO, b"PONG\\r\\n") + chunks), timeout=0.2)
    c.connect()
    c.subscribe("s")
    return c

def attempt(label, *chunks):
    try:
        m = client(*chunks).next_msg(0.5)
        env = nb.smartreceive(m)
        print(label, "accepted", env["payloads"])
    except nb.NatsBridgeError as e:
        print(label, e.code)

attempt("size over max_payload", b"MSG s 1 999999999\\r\\n")
attempt("body without CRLF", b"MSG s 1 3\\r\\nabcXY")
attempt("endless line", *([b"x" * 4096] * 20))

def envelope(data):
    return (b'{"correlation_id":"c","msg_id":"m","timestamp":"2026-03-13T07:02:50.443Z","send_to":"s",'
            b'"payloads":[{"dataname":"b","payload_type":"binary","transport":"direct","data":"' + data + b'"}]}')

def msg(body):
    return b"MSG s 1 " + str(len(body)).encode() + b"\\r\\n" + body + b"\\r\\n"

attempt("bad base64", msg(envelope(b"AAA*")))
attempt("not UTF-8 in data", msg(envelope(b"AA\\xff\\xfe")))
c = client(msg(envelope(b"aGVsbG8gYm9hcmQ=")))
m = c.next_msg(0.5)
v = nb.smartreceive(m)["payloads"][0][1]
print("in place", type(v).__name__, bytes(v), bytes(m.data).find(b"hello board") > 0)  # over its base64
`);
    expect(out).toEqual([
      "size over max_payload NATS_CONNECTION_FAILED",
      "body without CRLF NATS_CONNECTION_FAILED",
      "endless line NATS_CONNECTION_FAILED",
      "bad base64 DESERIALIZATION_ERROR",
      "not UTF-8 in data INVALID_ENVELOPE",
      "in place memoryview b'hello board' True",
    ]);
  });
});
