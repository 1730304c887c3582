/**
 * The issue's own measure of the board modules' memory: a MicroPython unix port run as
 * `micropython -X heapsize=N`, against a real nats-server and the dev file server on loopback
 * (memnet.py). Unlike the WebAssembly port of heap.test.ts, this port collects garbage when it
 * needs room, as a board does, so a job fits a heap when it runs without MemoryError. Prints
 * for each job the smallest heap (1 KB steps) from which every size up to 12 KB more fits too:
 * the figures in docs/micropython.md.
 *
 *   npx tsx conformance/micropython/heap-unix.ts PATH-TO-MICROPYTHON [...]
 *
 * Debian ships no unix port, so the binary is one you provide (a 32-bit one has a board's object
 * sizes). Not part of `npm test`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestFileServer } from "../../test/helpers/fileserver.js";
import { startNatsServer } from "../../test/helpers/nats-server.js";
import { buildMpy, BOARD_MODULES } from "./build-mpy.mjs";
import { smallestHeap } from "./heap.mjs";
import { pattern } from "./heap-scenarios.mjs";

const binaries = process.argv.slice(2);
if (!binaries.length) {
  console.error("usage: tsx conformance/micropython/heap-unix.ts PATH-TO-MICROPYTHON [...]");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "natsbridge-unix-mpy-"));
buildMpy(dir, [...BOARD_MODULES, "memnet"]);
const nats = await startNatsServer();
const files = await startTestFileServer();

function run(binary: string, heapsize: number, code: string): Promise<{ ok: boolean; out: string; got?: Uint8Array }> {
  const cwd = mkdtempSync(join(tmpdir(), "natsbridge-unix-job-"));
  writeFileSync(join(cwd, "big.bin"), pattern(1 << 20));
  const script = `import sys\nsys.path.insert(0, ${JSON.stringify(dir)})\n${code}\n`;
  return new Promise((resolve) => {
    const p = spawn(binary, ["-X", `heapsize=${heapsize}`, "-c", script], { cwd });
    let out = "";
    p.stdout.on("data", (c) => (out += c));
    p.stderr.on("data", (c) => (out += c));
    const timer = setTimeout(() => p.kill(), 60_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      let got: Uint8Array | undefined;
      try {
        got = new Uint8Array(readFileSync(join(cwd, "got.bin")));
      } catch {
        /* not written */
      }
      rmSync(cwd, { recursive: true, force: true });
      resolve({ ok: status === 0 && !/Traceback|Error/.test(out) && (!code.includes("run(") || / ok$/m.test(out)), out, got });
    });
  });
}

const job = (scenario: string, size: number) =>
  `import memnet\nmemnet.run(${JSON.stringify(nats.url)}, ${JSON.stringify(scenario)}, ${size}, ${JSON.stringify(files.url)})`;
const JOBS: Record<string, string> = {
  import: "import natsbridge_mpy",
  send_1k: job("send", 1024),
  roundtrip_1k: job("roundtrip", 1024),
  roundtrip_50k: job("roundtrip", 50 * 1024),
  link_1m: job("link", 1 << 20),
};

try {
  for (const binary of binaries) {
    console.log(binary);
    for (const [name, code] of Object.entries(JOBS)) {
      const top = await run(binary, 1024 * 1024, code);
      if (!top.ok) {
        console.log(`  ${name.padEnd(14)} fails at 1 MiB: ${top.out.trim().split("\n").slice(-2).join(" | ")}`);
        continue;
      }
      if (name === "link_1m" && !Buffer.from(pattern(1 << 20)).equals(Buffer.from(top.got ?? []))) {
        console.log(`  ${name.padEnd(14)} received file differs from the file sent`);
        continue;
      }
      let hi = (await smallestHeap(async (h) => (await run(binary, h, code)).ok, { lo: 2 * 1024, hi: 1024 * 1024 }))!;
      // Fragmentation makes "fits" not monotonic in the heap size (a job can fit 63 KB and fail
      // at 64): the figure is the smallest size from which every size up to 12 KB more fits too.
      for (let s = hi; s <= hi + 12 * 1024; s += 1024) {
        if (!(await run(binary, s, code)).ok) hi = s + 1024;
      }
      console.log(`  ${name.padEnd(14)} ${(hi / 1024).toFixed(0)} KB`);
    }
  }
} finally {
  await Promise.all([nats.stop(), files.close()]);
  rmSync(dir, { recursive: true, force: true });
}
