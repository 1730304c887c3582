/**
 * npm run fuzz — mutated envelopes against smartreceive, each in a worker thread with a watchdog
 * and a memory cap, every returned value checked by an independent reference decoder, every
 * request to a non-allowed origin counted by a trap server. Real dev file server and trap server
 * on loopback only.
 *
 *   npm run fuzz -- [--count 100000] [--seed 1] [--workers 2] [--watchdog-ms 5000]
 *
 * Targets (issue 8): 0 uncoded exceptions, 0 inputs over 1 s, 0 silently wrong values, 0 requests
 * to a non-allowed origin. test/fuzz.test.ts runs a fixed-seed subset in npm test.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync, readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { tableFromArrays, tableToIPC, Table } from "apache-arrow";
import { smartsend, createPlikUploadHandler, type SendTuple } from "../src/node.js";
import { startFileServer, type FileServer } from "../src/fileserver.js";
import { judge, type Summary } from "./reference.js";
import { mutate, rng } from "./mutate.js";

export interface FuzzOptions {
  count: number;
  seed?: number;
  workers?: number;
  /** An input still running after this is a hang: the worker is ended and the input recorded. */
  watchdogMs?: number;
  /** Inputs slower than this are counted (the target is none). */
  slowMs?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  inputs: number;
  outcomes: Record<string, number>;
  uncoded: { text: string; message: string }[];
  wrong: { text: string; why: string }[];
  hangs: { text: string }[];
  crashes: { text: string; why: string }[];
  slow: number;
  slowest: { ms: number; text: string };
  trapRequests: number;
  seeds: number;
}

const here = fileURLToPath(new URL(".", import.meta.url));

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
}

/** Valid envelopes of every type and both transports, plus what real peers sent (the conformance vectors). */
async function makeSeeds(files: FileServer): Promise<{ seeds: string[]; linked: Map<string, Uint8Array> }> {
  const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]), score: Float64Array.from([1.5, 2.5, 3.5]), name: ["a", "bb", "ccc"] }) as Table;
  const stream = tableToIPC(table, "stream");
  const all: SendTuple[] = [
    ["t", "Hello, world! é 文件", "text"],
    ["d", { a: 1, b: [true, null, "x"], big: 12345678901234567890n }, "dictionary"],
    ["r", [{ id: 1, name: "Alice" }, { id: 2, name: "Bob" }], "jsontable"],
    ["a", table, "arrowtable"],
    ["i", new Uint8Array([137, 80, 78, 71, 1, 2, 3]), "image"],
    ["au", new Uint8Array(300).map((_, i) => i), "audio"],
    ["v", new Uint8Array([0, 0, 0, 24, 102, 116]), "video"],
    ["b", new Uint8Array(2000).map((_, i) => (i * 7919) & 255), "binary"],
  ];
  const seeds: string[] = [];
  const upload = createPlikUploadHandler({ oneShot: false, ttl: 3600 });
  for (const t of all) seeds.push((await smartsend("fuzz", [t], { is_publish: false }))[1]);
  seeds.push((await smartsend("fuzz", all, { is_publish: false }))[1]);
  seeds.push((await smartsend("fuzz", all, { is_publish: false, size_threshold: 0, fileserver_url: files.url, fileserver_upload_handler: upload }))[1]);
  const streamEnv = JSON.parse((await smartsend("fuzz", [["s", new Uint8Array(0), "binary"]], { is_publish: false }))[1]);
  Object.assign(streamEnv.payloads[0], { payload_type: "arrowtable", data: Buffer.from(stream).toString("base64"), size: stream.length });
  seeds.push(JSON.stringify(streamEnv));
  const vectors = join(here, "../conformance/vectors");
  for (const f of readdirSync(vectors).filter((n) => n.endsWith(".json"))) {
    for (const v of JSON.parse(readFileSync(join(vectors, f), "utf8")).vectors) {
      const text = v.message?.text ?? v.envelope_json;
      // Their links name hosts that do not exist here: only direct-only vectors are seeds.
      if (typeof text === "string" && !/"transport"\s*:\s*"link"/.test(text)) seeds.push(text);
    }
  }
  const linked = new Map<string, Uint8Array>();
  for (const s of seeds) {
    let payloads: unknown = [];
    try {
      payloads = JSON.parse(s).payloads;
    } catch {
      // a reject vector: not JSON
    }
    for (const p of Array.isArray(payloads) ? (payloads as any[]) : []) {
      if (p?.transport === "link" && typeof p.data === "string" && p.data.startsWith(files.url)) linked.set(p.data, new Uint8Array(await (await fetch(p.data)).arrayBuffer()));
    }
  }
  return { seeds, linked };
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const watchdogMs = o.watchdogMs ?? 5_000;
  const slowMs = o.slowMs ?? 1_000;
  let trapRequests = 0;
  const trap = createServer((req, res) => {
    trapRequests++;
    res.writeHead(200, { "content-type": "application/octet-stream" }).end("secret");
  });
  const trapPort = await listen(trap);
  const files = await startFileServer({ host: "127.0.0.1", port: 0 });
  const { seeds, linked } = await makeSeeds(files);
  const bridgeOptions = { fileserver_url: files.url, max_retries: 2, base_delay: 5, max_delay: 20 };
  const report: FuzzReport = { inputs: 0, outcomes: {}, uncoded: [], wrong: [], hangs: [], crashes: [], slow: 0, slowest: { ms: 0, text: "" }, trapRequests: 0, seeds: seeds.length };
  const r = rng(o.seed ?? 1);
  const inputs = function* () {
    for (let i = 0; i < o.count; i++) yield mutate(seeds, r, { trapPort, fileserver: files.url });
  };
  const queue = inputs();
  const count = (k: string) => (report.outcomes[k] = (report.outcomes[k] ?? 0) + 1);
  const short = (t: string) => (t.length > 600 ? `${t.slice(0, 600)}… (${t.length} chars)` : t);

  const runWorker = () =>
    new Promise<void>((done) => {
      let current: { text: string; timer: ReturnType<typeof setTimeout> } | undefined;
      let w: Worker;
      const start = () => {
        w = new Worker(join(here, "worker.mjs"), { workerData: { bridgeOptions }, resourceLimits: { maxOldGenerationSizeMb: 512 } });
        w.on("message", (m: { outcome: string; ms: number; message?: string; payloads?: Summary[] }) => {
          const text = current!.text;
          clearTimeout(current!.timer);
          current = undefined;
          count(m.outcome);
          if (m.ms > slowMs) report.slow++;
          if (m.ms > report.slowest.ms) report.slowest = { ms: m.ms, text: short(text) };
          if (m.outcome === "UNCODED") report.uncoded.push({ text: short(text), message: m.message ?? "" });
          if (m.outcome === "ok") {
            const why = judge(text, m.payloads!, linked);
            if (why) report.wrong.push({ text: short(text), why });
          }
          next();
        });
        w.on("error", (e) => {
          if (current) {
            clearTimeout(current.timer);
            report.crashes.push({ text: short(current.text), why: String(e) });
            count("CRASH");
            current = undefined;
          }
        });
        w.on("exit", () => {
          if (current === undefined && finished) return done();
          if (!finished) {
            start();
            next();
          }
        });
      };
      let finished = false;
      const next = () => {
        if (current) return;
        const it = queue.next();
        if (it.done) {
          finished = true;
          void w.terminate();
          return;
        }
        report.inputs++;
        if (report.inputs % 10_000 === 0) log(`fuzz: ${report.inputs} inputs`);
        const text = it.value;
        current = {
          text,
          timer: setTimeout(() => {
            report.hangs.push({ text: short(text) });
            count("HANG");
            current = undefined;
            void w.terminate(); // "exit" starts a fresh worker
          }, watchdogMs),
        };
        w.postMessage({ id: report.inputs, text });
      };
      start();
      next();
    });

  try {
    await Promise.all(Array.from({ length: o.workers ?? 2 }, runWorker));
  } finally {
    report.trapRequests = trapRequests;
    trap.close();
    await files.close();
  }
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const t0 = performance.now();
  const rep = await runFuzz({ count: arg("count", 100_000), seed: arg("seed", 1), workers: arg("workers", 2), watchdogMs: arg("watchdog-ms", 5_000), log: console.log });
  const s = ((performance.now() - t0) / 1000).toFixed(0);
  console.log(`\nfuzz: ${rep.inputs} inputs from ${rep.seeds} seeds in ${s} s`);
  console.log("outcomes:", Object.entries(rep.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", "));
  console.log(`slowest: ${rep.slowest.ms.toFixed(1)} ms: ${rep.slowest.text.slice(0, 200)}`);
  const targets = [
    ["uncoded exceptions", rep.uncoded.length],
    ["inputs over 1 s", rep.slow],
    ["hangs (watchdog)", rep.hangs.length],
    ["worker crashes (memory cap)", rep.crashes.length],
    ["silently wrong values", rep.wrong.length],
    ["requests to a non-allowed origin", rep.trapRequests],
  ] as const;
  for (const [name, n] of targets) console.log(`  ${n === 0 ? "met   " : "MISSED"} 0 ${name}: ${n}`);
  for (const x of [...rep.uncoded, ...rep.wrong, ...rep.hangs, ...rep.crashes].slice(0, 5)) console.log(JSON.stringify(x).slice(0, 1000));
  process.exit(targets.every(([, n]) => n === 0) ? 0 : 1);
}
