/**
 * npm run bench:streams — large payloads by link (issue 9), file on disk → file on disk, against a
 * raw streaming HTTP upload + download of the same file to the same dev file server, side by side.
 *
 * Each measurement runs in a child process of its own, sampling its RSS every 5 ms; "above
 * baseline" is the peak minus the RSS just before the transfer (libraries loaded, connections
 * open). The file server and nats-server run in other processes, so their buffers do not count.
 *
 * Targets: streaming, peak RSS above baseline ≤ 64 MB for 256 MB and 1 GB, throughput ≥ 0.8× raw;
 * bytes in memory, peak RSS ≤ 2 × payload + 64 MB.
 *
 *   npm run bench:streams -- [--sizes 256,1024]   (MiB)
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, openAsBlob, statSync } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";

const MiB = 1024 * 1024;
const self = fileURLToPath(import.meta.url);

type Mode = "raw" | "stream" | "bytes";
interface Result {
  mode: Mode;
  ms: number;
  baseline: number;
  peak: number;
}

/** One transfer, in this (child) process. */
async function child(mode: Mode, file: string, out: string, fileserver: string, broker: string): Promise<void> {
  const { createBridge } = await import("../dist/node.js");
  // A 1 GiB payload is above the receive default (max_payload_bytes 256 MiB): this receiver expects it.
  const bridge = createBridge({ broker_url: broker, fileserver_url: fileserver, max_payload_bytes: 4096 * MiB, max_download_bytes: 4096 * MiB });
  let peak = 0;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  // Warm the paths (module loading, the connection, first fetch) with a tiny transfer first.
  const [, warm] = await bridge.smartsend("bench.warm", [["w", new Uint8Array(10), "binary"]], { is_publish: false, size_threshold: 0 });
  await bridge.smartreceive(warm);
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  const timer = setInterval(sample, 5);
  const t0 = performance.now();
  if (mode === "raw") await rawTransfer(file, out, fileserver);
  else if (mode === "stream") {
    const [, json] = await bridge.smartsend("bench.stream", [["f", await openAsBlob(file), "binary"]], { is_publish: false });
    const env = await bridge.smartreceive(json, { as: "stream" });
    await toFile(env.payloads[0]![1] as unknown as ReadableStream<Uint8Array>, out);
  } else {
    const bytes = new Uint8Array(await readFile(file));
    const [, json] = await bridge.smartsend("bench.bytes", [["f", bytes, "binary"]], { is_publish: false, size_threshold: 0 });
    const env = await bridge.smartreceive(json);
    await writeFile(out, env.payloads[0]![1] as Uint8Array);
  }
  const ms = performance.now() - t0;
  clearInterval(timer);
  sample();
  await bridge.close();
  process.stdout.write(JSON.stringify({ mode, ms, baseline, peak } satisfies Result));
}

/**
 * A web stream into a file, one chunk written before the next is read. (Node's Writable.toWeb and
 * Readable.fromWeb/toWeb adapters run ahead of a slow disk: with them even the raw transfer grew
 * RSS by the payload's size, so both sides here use plain reads and FileHandle writes.)
 */
async function toFile(stream: ReadableStream<Uint8Array>, out: string): Promise<void> {
  const fh = await open(out, "w");
  try {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await fh.write(value);
    }
  } finally {
    await fh.close();
  }
}

/** The same Plik protocol by hand: create an upload, stream the file as multipart, stream it back. */
async function rawTransfer(file: string, out: string, base: string): Promise<void> {
  const created = (await (await fetch(`${base}/upload`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"OneShot":true}' })).json()) as { id: string; uploadToken: string };
  const boundary = "----rawbench";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const reader = ((await openAsBlob(file)).stream() as ReadableStream<Uint8Array>).getReader();
  let stage = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (stage === 0) return (stage = 1), ctl.enqueue(head);
      if (stage === 1) {
        const { done, value } = await reader.read();
        if (!done) return ctl.enqueue(value);
        stage = 2;
        return ctl.enqueue(tail);
      }
      ctl.close();
    },
  });
  const posted = await fetch(`${base}/file/${created.id}`, {
    method: "POST",
    headers: { "X-UploadToken": created.uploadToken, "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: "half",
  } as RequestInit);
  const fileid = ((await posted.json()) as { id: string }).id;
  const res = await fetch(`${base}/file/${created.id}/${fileid}/f`);
  await toFile(res.body as ReadableStream<Uint8Array>, out);
}

function run(mode: Mode, file: string, out: string, fileserver: string, broker: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", self, "--child", mode, file, out, fileserver, broker], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text) as Result) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--sizes");
  const sizes = (i > 0 ? process.argv[i + 1]! : "256,1024").split(",").map(Number);
  execFileSync("npx", ["tsup", "--silent"], { stdio: "inherit" });
  const { startNatsServer } = await import("../test/helpers/nats-server.js");
  const nats = await startNatsServer();
  const dir = await mkdtemp(join(tmpdir(), "natsbridge-bench-streams-"));
  // The dev file server in its own process, without its default 100 MiB cap.
  const fsProc = spawn(process.execPath, ["--import", "tsx", join(self, "../../src/devserver/cli.ts"), "--max-upload-bytes", String(4096 * MiB), "--dir", join(dir, "store")], { stdio: ["ignore", "pipe", "inherit"] });
  const fileserver = await new Promise<string>((resolve) => fsProc.stdout!.on("data", (d) => { const m = /https?:\/\/\S+/.exec(String(d)); if (m) resolve(m[0]); }));
  const checks: [string, boolean][] = [];
  try {
    for (const mib of sizes) {
      const file = join(dir, `in-${mib}.bin`);
      const chunk = new Uint8Array(MiB).map((_, k) => (k * 2654435761) >>> 24);
      await pipeline(Readable.from((function* () { for (let k = 0; k < mib; k++) { chunk[0] = k & 255; yield Buffer.from(chunk); } })()), createWriteStream(file));
      const modes: Mode[] = mib <= 256 ? ["raw", "stream", "bytes"] : ["raw", "stream"];
      const results: Record<string, Result> = {};
      for (const mode of modes) {
        const out = join(dir, `out-${mode}.bin`);
        results[mode] = await run(mode, file, out, fileserver, nats.url);
        if (statSync(out).size !== mib * MiB) throw new Error(`${mode}: wrote ${statSync(out).size} bytes`);
        await rm(out);
      }
      console.log(`\n${mib} MiB by link, file → file`);
      for (const mode of modes) {
        const r = results[mode]!;
        console.log(`  ${mode.padEnd(7)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${((mib * MiB) / MiB / (r.ms / 1000)).toFixed(0).padStart(5)} MiB/s  peak RSS above baseline ${((r.peak - r.baseline) / MiB).toFixed(0)} MiB`);
      }
      const s = results.stream!;
      const ratio = results.raw!.ms / s.ms;
      checks.push([`${mib} MiB stream: peak RSS above baseline ≤ 64 MiB (${((s.peak - s.baseline) / MiB).toFixed(0)})`, s.peak - s.baseline <= 64 * MiB]);
      checks.push([`${mib} MiB stream: throughput ≥ 0.8× raw (${ratio.toFixed(2)})`, ratio >= 0.8]);
      const b = results.bytes;
      if (b) checks.push([`${mib} MiB bytes: peak RSS ≤ 2× payload + 64 MiB (${((b.peak - b.baseline) / MiB).toFixed(0)} above baseline)`, b.peak - b.baseline <= 2 * mib * MiB + 64 * MiB]);
      await rm(file);
    }
  } finally {
    fsProc.kill();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log("\ntargets");
  for (const [name, ok] of checks) console.log(`  ${ok ? "met    " : "MISSED "} ${name}`);
}

if (process.argv[2] === "--child") {
  const [, , , mode, file, out, fileserver, broker] = process.argv;
  await child(mode as Mode, file!, out!, fileserver!, broker!);
} else await main();
