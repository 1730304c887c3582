/**
 * natsbridge (TypeScript) ↔ the Python peer (conformance/python, the seeds' Python implementation),
 * over a real nats-server and a real file server, both directions, all 8 payload types, direct and
 * link. Defined once and run against each file server: python.test.ts (the dev file server) and
 * python-plik.realplik.ts (the real Plik; see docs/plik.md).
 *
 * The Python peer is spawned once per direction:
 *   TS → Python: `peer.py receive --count N` prints READY once subscribed, then RECEIVED n per
 *                envelope and rewrites its --out file with a digest of every envelope so far.
 *   Python → TS: `peer.py send --spec` sends every message of a spec and writes what it sent
 *                (digests) to its --out file; TS receives them on a subscription opened first.
 * A missing .venv or Python package fails the suite with instructions; it never skips.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { tableFromArrays, type Table } from "apache-arrow";
import { connect, type NatsConnection, type Msg } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { close, createPlikUploadHandler, NatsBridgeError, smartreceive, smartreply, smartrequest, smartsend } from "../../src/node.js";
import { parseJson } from "../../src/core/json.js";
import { loadForeignArrow } from "../helpers/foreign-arrow.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const peerScript = join(repoRoot, "conformance", "python", "peer.py");
const venvPython = join(repoRoot, ".venv", "bin", "python");

export interface FileServerUnderTest {
  url: string;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------- the Python side

/** The venv's python, checked to import the peer's packages; throws how to fix it otherwise. */
export function requirePythonPeer(): string {
  const fix = "Run `bash scripts/provision-python.sh` (creates .venv from conformance/python/requirements.txt).";
  if (!existsSync(venvPython)) throw new Error(`Python peer: ${venvPython} is missing. ${fix}`);
  const r = spawnSync(venvPython, ["-c", "import nats, aiohttp, pyarrow, pandas"], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`Python peer: the venv cannot import its packages (${(r.stderr || r.error?.message || "").trim()}). ${fix}`);
  return venvPython;
}

interface Peer {
  /** Resolves with the first stdout line matching `re` (lines already seen count too). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  exit: Promise<number | null>;
  stderr(): string;
  kill(): void;
}

function spawnPeer(python: string, args: string[]): Peer {
  const child: ChildProcess = spawn(python, [peerScript, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let err = "";
  child.stderr!.on("data", (b: Buffer) => (err = (err + b.toString("utf8")).slice(-20_000)));
  createInterface({ input: child.stdout! }).on("line", (l) => {
    lines.push(l);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.re.test(l)) waiters.splice(i, 1)[0]!.resolve(l);
    }
  });
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let exitCode: number | null | undefined;
  void exit.then((c) => (exitCode = c));
  return {
    line(re, timeoutMs = 60_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`Python peer: no line matching ${re} within ${timeoutMs} ms (exit ${exitCode}); stdout:\n${lines.join("\n")}\nstderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({ re, resolve: (l) => (clearTimeout(timer), res(l)) });
        void exit.then((c) =>
          setTimeout(() => rej(new Error(`Python peer exited (${c}) before printing ${re}; stdout:\n${lines.join("\n")}\nstderr:\n${err}`)), 50),
        );
      });
    },
    exit,
    stderr: () => err,
    kill: () => {
      if (exitCode === undefined) child.kill("SIGKILL");
    },
  };
}

// ---------------------------------------------------------------- deterministic data (same as peer.py)

export function genBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0, off = 0; off < size; i++) {
    const block = createHash("sha256").update(`${seed}:${i}`).digest();
    out.set(block.subarray(0, Math.min(32, size - off)), off);
    off += 32;
  }
  return out;
}

export function genRows(rows: number, seed: number): Array<{ id: number; name: string; score: number; flag: boolean }> {
  return Array.from({ length: rows }, (_, i) => ({ id: i, name: `row-${seed}-${i}`, score: ((i * 37 + seed) % 1000) / 8, flag: i % 3 === 0 }));
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Arrow cell → the plain JSON value peer.py writes: int64 bigint → number, Arrow vectors → arrays. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v !== null && typeof v === "object" && typeof (v as { toArray?: unknown }).toArray === "function") return Array.from((v as { toArray(): Iterable<unknown> }).toArray(), plain);
  return v;
}

function tableRows(t: Table): { columns: string[]; rows: unknown[][] } {
  const columns = t.schema.fields.map((f) => f.name);
  const rows: unknown[][] = [];
  for (let i = 0; i < t.numRows; i++) {
    const r = t.get(i)!;
    rows.push(columns.map((c) => plain((r as unknown as Record<string, unknown>)[c])));
  }
  return { columns, rows };
}

// ---------------------------------------------------------------- the suite

type Digest = Record<string, any>;

export function definePythonInteropSuite(label: string, startFileServer: () => Promise<FileServerUnderTest>): void {
  describe(`interop with the Python peer (${label})`, () => {
    let python: string;
    let nats: NatsServerHandle;
    let fs: FileServerUnderTest;
    let work: string;

    beforeAll(async () => {
      python = requirePythonPeer();
      nats = await startNatsServer();
      fs = await startFileServer();
      work = await mkdtemp(join(tmpdir(), "natsbridge-pyinterop-"));
    });

    afterAll(async () => {
      await close();
      await fs?.stop();
      await nats?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    // ------------------------------------------------------------ TS → Python
    describe("TS smartsend → Python smartreceive", () => {
      let peer: Peer;
      let outPath: string;
      const subject = `interop.ts2py.${label.replace(/\W+/g, "_")}`;
      let received = 0;

      const table = () =>
        tableFromArrays({
          id: Int32Array.from([1, 2, 3]),
          score: Float64Array.from([0.5, -1.25, 1e10]),
          name: ["ä", "b c", "😀"],
        });

      /** Every type once; `n` varies the data so each message is distinct. */
      const allTypes = (n: number) =>
        [
          ["message", `héllo wörld 😀 中文 #${n}`, "text"],
          ["dict", { a: n, nested: { list: [1, 2.5, "x", null, true] }, big: 9007199254740993n, unicode: "ü€" }, "dictionary"],
          ["rows", genRows(5, n), "jsontable"],
          ["arrow_rows", genRows(4, n), "arrowtable"],
          ["arrow_table", table(), "arrowtable"],
          ["picture.png", genBytes(1000, 10 + n), "image"],
          ["clip.wav", genBytes(3, 20 + n), "audio"],
          ["movie.mp4", genBytes(70_000, 30 + n), "video"],
          ["blob.bin", genBytes(4096, 40 + n), "binary"],
        ] as const;

      beforeAll(async () => {
        outPath = join(work, "ts2py.json");
        peer = spawnPeer(python, ["receive", "--nats", nats.url, "--subject", subject, "--count", "4", "--out", outPath, "--timeout", "110"]);
        await peer.line(/^READY$/, 30_000);
      });

      afterAll(async () => {
        peer?.kill();
      });

      async function sendAndCollect(data: readonly (readonly [string, unknown, string])[], options: Record<string, unknown>) {
        const [env] = await smartsend(subject, data as never, { broker_url: nats.url, fileserver_url: fs.url, ...options });
        const n = received++;
        await peer.line(new RegExp(`^RECEIVED ${n} `), 60_000);
        const all = parseJson(await readFile(outPath, "utf8")) as Digest[];
        const got = all[n]!;
        expect(got.error, `Python smartreceive failed: ${JSON.stringify(got.error)}\n${peer.stderr()}`).toBeUndefined();
        // Envelope: every field as sent, field order as on the wire.
        for (const k of ["correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id", "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url"] as const) {
          expect(got[k], k).toBe(env[k]);
        }
        expect(got.metadata).toEqual(env.metadata);
        expect(got.raw_keys).toEqual(Object.keys(env));
        expect(got.payloads).toHaveLength(data.length);
        return { env, got };
      }

      function expectValues(data: readonly (readonly [string, unknown, string])[], got: Digest) {
        data.forEach(([dataname, value, type], i) => {
          const p = got.payloads[i];
          expect(p.dataname).toBe(dataname);
          expect(p.type).toBe(type);
          switch (type) {
            case "text":
              expect(p.value).toBe(value);
              break;
            case "dictionary":
            case "jsontable":
              expect(p.value).toEqual(value);
              break;
            case "arrowtable": {
              const want = Array.isArray(value) ? { columns: Object.keys(value[0]), rows: value.map((r) => Object.values(r)) } : tableRows(value as Table);
              expect(p.columns).toEqual(want.columns);
              expect(p.num_rows).toBe(want.rows.length);
              expect(p.rows).toEqual(want.rows);
              break;
            }
            default: {
              const b = value as Uint8Array;
              expect(p.length).toBe(b.length);
              expect(p.sha256).toBe(sha256(b));
            }
          }
        });
      }

      it("direct: all 8 payload types in one envelope", async () => {
        const data = allTypes(1);
        const { env, got } = await sendAndCollect(data, { reply_to: "interop.replies", receiver_name: "python-peer", metadata: { trace: "t-1" } });
        expectValues(data, got);
        got.payloads.forEach((p: Digest, i: number) => {
          expect(p.wire.transport).toBe("direct");
          expect(p.wire.encoding).toBe("base64");
          expect(p.wire.metadata).toEqual({ payload_bytes: env.payloads[i]!.size });
        });
      });

      it("link: all 8 payload types through the file server (one-shot uploads)", async () => {
        const data = allTypes(2);
        const { got } = await sendAndCollect(data, { size_threshold: 1 });
        expectValues(data, got);
        got.payloads.forEach((p: Digest) => {
          expect(p.wire.transport).toBe("link");
          expect(p.wire.encoding).toBe("none");
          // natsbridge names each link's SHA-256; the Python peer receives the payloads regardless.
          expect(Object.keys(p.wire.metadata)).toEqual(["sha256"]);
          expect(p.wire.metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
          expect(p.wire.url.startsWith(`${fs.url}/file/`)).toBe(true);
        });
      });

      it("a 1.5 MB binary goes link at the default threshold, next to a direct text; multi-download upload", async () => {
        const data = [
          ["caption", "big one follows", "text"],
          ["big file ü.bin", genBytes(1_500_000, 99), "binary"],
        ] as const;
        const { got } = await sendAndCollect(data, { fileserver_upload_handler: createPlikUploadHandler({ oneShot: false, ttl: 600 }) });
        expectValues(data, got);
        expect(got.payloads.map((p: Digest) => p.wire.transport)).toEqual(["direct", "link"]);
      });

      it("a Table built by another copy of apache-arrow (dictionary column included) is read by pyarrow", async () => {
        const other = await loadForeignArrow();
        try {
          const rows = [{ id: 1, name: "Alice", score: 95.5 }, { id: 2, name: "Bob", score: -1 }];
          const data = [["other_copy", other.arrow.tableFromJSON(rows), "arrowtable"]] as const;
          const { got } = await sendAndCollect(data, {});
          expect(got.payloads[0].columns).toEqual(["id", "name", "score"]);
          expect(got.payloads[0].types[1]).toMatch(/^dictionary<values=string/);
          expect(got.payloads[0].rows).toEqual(rows.map((r) => Object.values(r)));
        } finally {
          await other.remove();
        }
      });
    });

    // ------------------------------------------------------------ Python → TS
    describe("Python smartsend → TS smartreceive", () => {
      const subject = `interop.py2ts.${label.replace(/\W+/g, "_")}`;
      let nc: NatsConnection;
      const inbox = new Map<string, Msg>();
      const waiting = new Map<string, (m: Msg) => void>();
      let sent: Digest[];
      let peer: Peer;

      const allTypes = (n: number) => [
        { dataname: "message", type: "text", value: `héllo from Python 😀 中文 #${n}` },
        { dataname: "dict", type: "dictionary", value: { a: n, nested: { list: [1, 2.5, "x", null, true] }, unicode: "ü€" } },
        { dataname: "rows", type: "jsontable", gen: { rows: 5, seed: n } },
        { dataname: "frame", type: "arrowtable", gen: { rows: 6, seed: n } },
        { dataname: "picture.png", type: "image", gen: { size: 1000, seed: 10 + n } },
        { dataname: "clip.wav", type: "audio", gen: { size: 3, seed: 20 + n } },
        { dataname: "movie.mp4", type: "video", gen: { size: 70_000, seed: 30 + n } },
        { dataname: "blob.bin", type: "binary", gen: { size: 4096, seed: 40 + n } },
      ];

      const spec = () => ({
        defaults: { fileserver: fs.url },
        messages: [
          { correlation_id: "py-direct", reply_to: "interop.replies", sender_name: "python-peer", payloads: [...allTypes(1), { dataname: "big_int", type: "dictionary", value: "__BIG__" }] },
          { correlation_id: "py-link", size_threshold: 1, payloads: allTypes(2) },
          {
            correlation_id: "py-big",
            upload: { one_shot: false, ttl: 600 },
            payloads: [
              { dataname: "caption", type: "text", value: "big one follows" },
              { dataname: "big file ü.bin", type: "binary", gen: { size: 1_500_000, seed: 99 } },
            ],
          },
        ],
      });

      beforeAll(async () => {
        nc = await connect({ servers: nats.url });
        const sub = nc.subscribe(subject);
        void (async () => {
          for await (const m of sub) {
            const cid = (JSON.parse(new TextDecoder().decode(m.data)) as { correlation_id: string }).correlation_id;
            inbox.set(cid, m);
            waiting.get(cid)?.(m);
          }
        })();
        await nc.flush();
        const specPath = join(work, "py2ts-spec.json");
        // An integer beyond 2^53 that only a lossless reader keeps exact.
        await writeFile(specPath, JSON.stringify(spec()).replace('"__BIG__"', '{"id": 9007199254740993, "neg": -12345678901234567890}'));
        const outPath = join(work, "py2ts-sent.json");
        peer = spawnPeer(python, ["send", "--nats", nats.url, "--subject", subject, "--spec", specPath, "--out", outPath]);
        await peer.line(/^DONE$/, 90_000);
        expect(await peer.exit, `peer send failed:\n${peer.stderr()}`).toBe(0);
        sent = parseJson(await readFile(outPath, "utf8")) as Digest[];
      });

      afterAll(async () => {
        peer?.kill();
        await nc?.close();
      });

      const message = (cid: string) =>
        inbox.has(cid)
          ? Promise.resolve(inbox.get(cid)!)
          : new Promise<Msg>((res, rej) => {
              const timer = setTimeout(() => rej(new Error(`no message ${cid} from the Python peer`)), 20_000);
              waiting.set(cid, (m) => (clearTimeout(timer), res(m)));
            });

      async function receiveAndCheck(cid: string) {
        const msg = await message(cid);
        const env = await smartreceive(msg, { fileserver_url: fs.url });
        const want = sent.find((s) => s.correlation_id === cid)!;
        expect(want, `the peer's record of ${cid}`).toBeDefined();
        for (const k of ["correlation_id", "msg_id", "timestamp", "send_to", "msg_purpose", "sender_name", "sender_id", "receiver_name", "receiver_id", "reply_to", "reply_to_msg_id", "broker_url"]) {
          expect((env as unknown as Digest)[k], k).toBe(want[k]);
        }
        expect(env.metadata).toEqual({});
        // The Python seed's timestamp: datetime.utcnow().isoformat() + 'Z' (microseconds, no offset).
        expect(env.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/);
        expect(env.payloads).toHaveLength(want.payloads.length);
        env.payloads.forEach(([dataname, data, type], i) => {
          const w = want.payloads[i];
          expect(dataname).toBe(w.dataname);
          expect(type).toBe(w.type);
          switch (type) {
            case "text":
              expect(data).toBe(w.value);
              break;
            case "dictionary":
            case "jsontable":
              expect(data).toEqual(w.value);
              break;
            case "arrowtable": {
              const t = tableRows(data as Table);
              expect(t.columns).toEqual(w.columns);
              expect(t.rows).toEqual(w.rows);
              break;
            }
            default:
              expect(data).toBeInstanceOf(Uint8Array);
              expect((data as Uint8Array).length).toBe(w.length);
              expect(sha256(data as Uint8Array)).toBe(w.sha256);
          }
        });
        return { env, want };
      }

      it("the TS generator matches peer.py's (bytes and rows)", () => {
        const direct = sent.find((s) => s.correlation_id === "py-direct")!;
        const blob = direct.payloads.find((p: Digest) => p.dataname === "blob.bin");
        expect(blob.sha256).toBe(sha256(genBytes(4096, 41)));
        const rows = direct.payloads.find((p: Digest) => p.dataname === "rows");
        expect(rows.value).toEqual(genRows(5, 1));
      });

      it("direct: all 8 payload types, plus integers beyond 2^53 kept exact", async () => {
        const { env, want } = await receiveAndCheck("py-direct");
        want.payloads.forEach((p: Digest) => {
          expect(p.wire.transport).toBe("direct");
          expect(p.wire.metadata).toEqual({ payload_bytes: p.wire.size });
        });
        const big = env.payloads.find(([n]) => n === "big_int")!;
        expect(big[1]).toEqual({ id: 9007199254740993n, neg: -12345678901234567890n });
        const frame = env.payloads.find(([n]) => n === "frame")![1] as Table;
        expect(frame.numRows).toBe(6);
      });

      it("link: all 8 payload types through the file server (one-shot uploads)", async () => {
        const { want } = await receiveAndCheck("py-link");
        want.payloads.forEach((p: Digest) => {
          expect(p.wire.transport).toBe("link");
          expect(p.wire.encoding).toBe("none");
          expect(p.wire.metadata).toEqual({});
          expect(p.wire.url.startsWith(`${fs.url}/file/`)).toBe(true);
        });
      });

      it("a 1.5 MB binary goes link at the default threshold; a multi-download upload can be fetched twice", async () => {
        const { env, want } = await receiveAndCheck("py-big");
        expect(want.payloads.map((p: Digest) => p.wire.transport)).toEqual(["direct", "link"]);
        // OneShot false: a second receiver gets the same bytes.
        const again = await smartreceive(await message("py-big"), { fileserver_url: fs.url });
        expect(sha256(again.payloads[1]![1] as Uint8Array)).toBe(want.payloads[1].sha256);
        expect(env.payloads[1]![0]).toBe("big file ü.bin");
      });

      it("a one-shot link from Python cannot be downloaded a second time", async () => {
        const msg = await message("py-link");
        await expect(smartreceive(msg, { fileserver_url: fs.url, max_retries: 2, base_delay: 10, max_delay: 20 })).rejects.toMatchObject({ code: "DOWNLOAD_FAILED" });
      });
    });

    // ------------------------------------------------------------ request/reply, both directions
    describe("TS smartrequest → Python responder (seeds-style: smartsend to env.reply_to)", () => {
      const subject = `interop.ts_req.${label.replace(/\W+/g, "_")}`;
      let peer: Peer;

      beforeAll(async () => {
        peer = spawnPeer(python, ["respond", "--nats", nats.url, "--subject", subject, "--count", "3", "--fail-on", "fail", "--timeout", "110"]);
        await peer.line(/^READY$/, 30_000);
      });
      afterAll(() => peer?.kill());

      const request = (data: readonly (readonly [string, unknown, string])[], options: Record<string, unknown> = {}) =>
        smartrequest(subject, data as never, { broker_url: nats.url, fileserver_url: fs.url, timeout_ms: 30_000, ...options });

      it("the answer carries the request's correlation_id and reply_to_msg_id = its msg_id", async () => {
        const blob = genBytes(5000, 7);
        const reply = await request([["command", { action: "read_sensor" }, "dictionary"], ["blob.bin", blob, "binary"]], { correlation_id: "ts-req-1" });
        expect(reply.correlation_id).toBe("ts-req-1");
        expect(reply.sender_name).toBe("python-peer");
        expect(reply.reply_to_msg_id).toMatch(/^[0-9a-f-]{36}$/);
        const [name, echo, type] = reply.payloads[0]!;
        expect([name, type]).toEqual(["echo", "dictionary"]);
        const seen = echo as Digest;
        expect(seen.msg_id).toBe(reply.reply_to_msg_id);
        expect(seen.correlation_id).toBe("ts-req-1");
        expect(seen.reply_to).toMatch(/^_INBOX\./);
        expect(seen.payloads[0]).toMatchObject({ dataname: "command", value: { action: "read_sensor" } });
        expect(seen.payloads[1]).toMatchObject({ dataname: "blob.bin", sha256: sha256(blob), length: 5000 });
      });

      it("link payloads in the request are fetched by the Python responder", async () => {
        const blob = genBytes(70_000, 8);
        const reply = await request([["blob.bin", blob, "binary"]], { size_threshold: 1 });
        expect((reply.payloads[0]![1] as Digest).payloads[0]).toMatchObject({ sha256: sha256(blob), length: 70_000 });
      });

      it("the seeds' error-response form from Python is a REMOTE_ERROR with its code, message and details", async () => {
        const e = await request([["fail", "please", "text"]], { correlation_id: "ts-req-fail" }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(NatsBridgeError);
        expect((e as NatsBridgeError).code).toBe("REMOTE_ERROR");
        expect((e as NatsBridgeError).correlation_id).toBe("ts-req-fail");
        expect((e as NatsBridgeError).details!.remote).toEqual({
          code: "SENSOR_OFFLINE",
          message: "payload fail asked me to fail",
          details: { correlation_id: "ts-req-fail" },
        });
      });
    });

    describe("Python request (reply_to) → TS smartreply", () => {
      const subject = `interop.py_req.${label.replace(/\W+/g, "_")}`;
      let nc: NatsConnection;

      beforeAll(async () => {
        nc = await connect({ servers: nats.url });
        const sub = nc.subscribe(subject);
        void (async () => {
          for await (const m of sub) {
            const req = await smartreceive(m);
            const [dataname, value] = req.payloads[0]!;
            if (dataname === "fail") {
              await smartreply(req, new NatsBridgeError("DESERIALIZATION_ERROR", "cannot read that", { details: { dataname } }), { broker_url: nats.url });
            } else {
              await smartreply(req, [["answer", { got: value, from: "ts" }, "dictionary"], ["bytes.bin", genBytes(3000, 5), "binary"]], { broker_url: nats.url, sender_name: "ts-responder" });
            }
          }
        })();
        await nc.flush();
      });
      afterAll(async () => {
        await nc?.close();
      });

      async function pythonRequest(name: string, payloads: unknown[]) {
        const specPath = join(work, `${name}-spec.json`);
        const outPath = join(work, `${name}-reply.json`);
        await writeFile(specPath, JSON.stringify({ correlation_id: `py-${name}`, payloads }));
        const peer = spawnPeer(python, ["request", "--nats", nats.url, "--subject", subject, "--spec", specPath, "--out", outPath, "--timeout", "30"]);
        await peer.line(/^REPLY$/, 60_000);
        expect(await peer.exit, `peer request failed:\n${peer.stderr()}`).toBe(0);
        return parseJson(await readFile(outPath, "utf8")) as { request: Digest; reply: Digest };
      }

      it("the TS answer reaches the Python requester with its correlation_id and reply_to_msg_id", async () => {
        const { request, reply } = await pythonRequest("ok", [{ dataname: "question", type: "text", value: "ça va?" }]);
        expect(reply.correlation_id).toBe("py-ok");
        expect(reply.reply_to_msg_id).toBe(request.msg_id);
        expect(reply.send_to).toBe(request.reply_to);
        expect(reply.sender_name).toBe("ts-responder");
        expect(reply.payloads[0]).toMatchObject({ dataname: "answer", type: "dictionary", value: { got: "ça va?", from: "ts" } });
        expect(reply.payloads[1]).toMatchObject({ dataname: "bytes.bin", type: "binary", sha256: sha256(genBytes(3000, 5)), length: 3000 });
      });

      it("a TS error answer reaches Python as the seeds' error member", async () => {
        const { request, reply } = await pythonRequest("fail", [{ dataname: "fail", type: "text", value: "x" }]);
        expect(reply.correlation_id).toBe("py-fail");
        expect(reply.reply_to_msg_id).toBe(request.msg_id);
        expect(reply.error).toEqual({ code: "DESERIALIZATION_ERROR", message: "cannot read that", details: { dataname: "fail" } });
      });
    });
  });
}
