#!/usr/bin/env node
// The board modules (.mpy, built by build-mpy.mjs) on the real MicroPython runtime (WebAssembly
// port) with a fixed heap: each run is a fresh process and runtime started with `heapsize`.
//
// This port never collects garbage while Python runs: it collects when control returns to
// JavaScript, and an allocation that does not fit adds a heap area instead (a board would collect,
// then raise MemoryError). So within one run the heap's total grows with everything allocated,
// garbage included: "the total grew" is "this needed more than heapsize even counting garbage as
// live", and a run that ends with the total unchanged would fit on a board with that heap (less
// fragmentation: a board's collector frees garbage but may not find one contiguous block).
// Each job: `setup` (imports; its garbage is collected on return) then `code`, the measured part.
//
// `node conformance/micropython/heap-scenarios.mjs --measure` prints the smallest heap per job.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildMpy, BOARD_MODULES } from "./build-mpy.mjs";

const here = dirname(fileURLToPath(import.meta.url));

let built;
/** The board modules and the heap jobs (memcheck, memlink), compiled once per process into a temporary directory. */
export function mpyDir() {
  if (!built) {
    built = mkdtempSync(join(tmpdir(), "natsbridge-mpy-"));
    buildMpy(built, [...BOARD_MODULES, "memcheck", "memlink"]);
  }
  return built;
}

/**
 * Run Python `setup`, then `code`, with the .mpy modules importable, on a runtime whose heap is
 * `heapsize`. `files`: {path: Uint8Array} written to the runtime's file system first; `read`:
 * paths to return. Resolves {total, peak, grew, retained, lines, error, files}: the heap's total
 * at the start and at its largest, and what setup left allocated. `dir`: other .mpy files to load
 * (e.g. an older version, to compare).
 */
export function runWithHeap({ heapsize, setup = "", code, files = {}, read = [], dir }) {
  const input = JSON.stringify({
    heapsize,
    setup,
    code,
    dir: dir ?? mpyDir(),
    files: Object.fromEntries(Object.entries(files).map(([p, b]) => [p, Buffer.from(b).toString("base64")])),
    read,
  });
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (c) => (out += c));
    p.stderr.on("data", (c) => (err += c));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`heap child exited ${code}: ${err}`));
      const r = JSON.parse(out);
      r.files = Object.fromEntries(Object.entries(r.files).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))]));
      resolvePromise(r);
    });
    p.stdin.end(input);
  });
}

/**
 * Smallest heap size (to `step` bytes) in [lo, hi] for which `fits(size)` resolves true; null if
 * not even hi. A bisection: it takes fits to be monotonic in the size (heap-unix.ts checks the
 * sizes above the answer, where fragmentation can break that).
 */
export async function smallestHeap(fits, { lo = 8 * 1024, hi = 512 * 1024, step = 1024 } = {}) {
  if (!(await fits(hi))) return null;
  while (hi - lo > step) {
    const mid = Math.floor((lo + hi) / 2 / step) * step;
    if (await fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Whether `job` runs on the WebAssembly port with `heapsize` without the heap growing. */
export async function fitsWasm(job, heapsize) {
  const r = await runWithHeap({ ...job, heapsize });
  return !r.grew && !r.error;
}

async function child() {
  const job = JSON.parse(readFileSync(0, "utf8"));
  const require = createRequire(join(here, "..", "..", "package.json"));
  const { loadMicroPython } = await import(pathToFileURL(require.resolve("@micropython/micropython-webassembly-pyscript/micropython.mjs")).href);
  const lines = [];
  const mp = await loadMicroPython({ heapsize: job.heapsize, stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) });
  mp.FS.mkdir("/lib");
  for (const f of readdirSync(job.dir)) mp.FS.writeFile("/lib/" + f, readFileSync(join(job.dir, f)));
  for (const [p, b] of Object.entries(job.files)) mp.FS.writeFile(p, Buffer.from(b, "base64"));
  // mem_info at the end of the same run: the total before the collection on return.
  const MEM = "\nimport micropython\nmicropython.mem_info()";
  const run = (code) => {
    lines.length = 0;
    let error = null;
    try {
      mp.runPython(code + MEM);
    } catch (e) {
      error = `${e.type ?? e.name}: ${e.message}`;
    }
    const text = lines.join("\n");
    const m = [...text.matchAll(/GC: total: (\d+), used: (\d+)/g)].at(-1);
    return { error, output: lines.filter((l) => !/^(stack:|GC:| No\. of)/.test(l)), total: m ? Number(m[1]) : 0, used: m ? Number(m[2]) : 0 };
  };
  mp.runPython("import sys\nsys.path.append('/lib')");
  const total = run("").total;
  const s = run(job.setup);
  const retained = run("").used;
  const c = s.error ? { error: null, output: [], total: 0 } : run(job.code);
  const peak = Math.max(total, s.total, c.total);
  const error = s.error ?? c.error;
  const output = [...s.output, ...c.output];
  const files = {};
  for (const p of job.read) {
    try {
      files[p] = Buffer.from(mp.FS.readFile(p)).toString("base64");
    } catch {
      /* not written */
    }
  }
  process.stdout.write(JSON.stringify({ total, peak, grew: peak > total, retained, lines: output, error, files }));
}

if (process.argv.includes("--child")) await child();
