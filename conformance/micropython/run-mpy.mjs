#!/usr/bin/env node
// Run natsbridge_mpy.py on the real MicroPython runtime (the official WebAssembly port,
// @micropython/micropython-webassembly-pyscript) inside Node.
//
//   node conformance/micropython/run-mpy.mjs            # all vectors; exit 1 on any failure
//   node conformance/micropython/run-mpy.mjs --heap 262144   (initial heap; this port grows it)
//
// As a module: loadMpy() gives a runtime with natsbridge_mpy.py and vector_runner.py in /lib and
// the vectors in /vectors; runVectors() returns the runner's summary; rtDecode/rtEncode drive the
// round-trip helpers. One MicroPython instance per process: the port keeps its state in globals.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const conformance = dirname(here);

async function importRuntime() {
  // Resolve from the repo (node_modules) so a missing package fails loudly, never skips.
  const require = createRequire(join(conformance, "..", "package.json"));
  let entry;
  try {
    entry = require.resolve("@micropython/micropython-webassembly-pyscript/micropython.mjs");
  } catch (e) {
    throw new Error(
      "MicroPython runtime missing: npm install (devDependency @micropython/micropython-webassembly-pyscript): " + e.message,
    );
  }
  return import(pathToFileURL(entry).href);
}

let instance;

/** The MicroPython runtime with the codec, the runner and the vectors installed in its file system. */
export async function loadMpy({ heapsize = 4 * 1024 * 1024 } = {}) {
  if (instance) return instance;
  const { loadMicroPython } = await importRuntime();
  const out = [];
  const mp = await loadMicroPython({
    heapsize,
    stdout: (line) => out.push(line),
    stderr: (line) => out.push("[stderr] " + line),
  });
  const FS = mp.FS;
  for (const d of ["/lib", "/vectors"]) {
    try {
      FS.mkdir(d);
    } catch {
      /* exists */
    }
  }
  for (const f of readdirSync(here).filter((n) => n.endsWith(".py"))) FS.writeFile("/lib/" + f, readFileSync(join(here, f)));
  const vdir = join(conformance, "vectors");
  for (const f of readdirSync(vdir).filter((n) => n.endsWith(".json"))) FS.writeFile("/vectors/" + f, readFileSync(join(vdir, f)));
  mp.runPython("import sys\nif '/lib' not in sys.path: sys.path.append('/lib')\nimport natsbridge_mpy, vector_runner");
  instance = { mp, out, heapsize };
  return instance;
}

function pyCall(mp, code) {
  try {
    return mp.runPython(code);
  } catch (e) {
    // PythonError carries the traceback in .message
    throw new Error(`MicroPython raised ${e.type ?? e.name}: ${e.message}`);
  }
}

/** Run every vector on MicroPython; returns the runner's summary object. */
export async function runVectors(opts) {
  const { mp, out } = await loadMpy(opts);
  out.length = 0;
  pyCall(mp, "vector_runner.run_dir('/vectors', quiet=False)");
  const line = out.find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error("MicroPython run printed no RESULT line:\n" + out.join("\n"));
  const summary = JSON.parse(line.slice(7));
  summary.output = out.filter((l) => !l.startsWith("RESULT "));
  return summary;
}

function passText(mp, fn, text) {
  let r;
  try {
    r = mp.pyimport("vector_runner")[fn](text);
  } catch (e) {
    throw new Error(`MicroPython raised ${e.type ?? e.name} in ${fn}: ${e.message}`);
  }
  if (typeof r !== "string") throw new Error(`${fn} returned ${typeof r}`);
  return r;
}

/** smartreceive on MicroPython for each envelope JSON string; returns the parsed result list. */
export async function rtDecode(envelopes, opts) {
  const { mp } = await loadMpy(opts);
  return JSON.parse(passText(mp, "rt_decode", JSON.stringify(envelopes)));
}

/** smartsend on MicroPython for each spec; returns envelope JSON strings (or {error}). */
export async function rtEncode(specs, opts) {
  const { mp } = await loadMpy(opts);
  return JSON.parse(passText(mp, "rt_encode", JSON.stringify(specs)));
}

/** json_loads + json_dumps on MicroPython: must reproduce JSON.stringify's text exactly. */
export async function rtReencode(jsonText, opts) {
  const { mp } = await loadMpy(opts);
  return passText(mp, "rt_reencode", jsonText);
}

/** Run arbitrary Python (the codec is imported as natsbridge_mpy); returns captured stdout lines. */
export async function runPython(code, opts) {
  const { mp, out } = await loadMpy(opts);
  out.length = 0;
  pyCall(mp, code);
  return [...out];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--heap");
  const heapsize = i > 0 ? Number(process.argv[i + 1]) : undefined;
  const t0 = Date.now();
  const s = await runVectors(heapsize ? { heapsize } : undefined);
  for (const l of s.output) console.log(l);
  const { output, failures, ...counts } = s;
  console.log(JSON.stringify(counts), `${Date.now() - t0} ms`);
  process.exit(s.failed || !s.vectors ? 1 : 0);
}
