// The heap jobs of heap.test.ts and their limits.
//
//   node conformance/micropython/heap-scenarios.mjs --measure
//
// prints the smallest heap each job fits in (the figures in docs/micropython.md).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fitsWasm, runWithHeap, smallestHeap } from "./heap.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const KB = 1024;
export const SIZES = { "1k": 1024, "50k": 50 * 1024 };
/** What a job imports before it is measured (what a board would import at start): the sending
 * jobs leave out natsbridge_rx, as a board that only sends does. */
const SETUP = "import natsbridge_mpy, natsbridge_nats, memcheck";
const SETUP_RX = "import natsbridge_mpy, natsbridge_rx, natsbridge_nats, memcheck";

/** The issue's targets (#13), in bytes: what a job may need at most. */
export const TARGETS = {
  import: 24 * KB,
  encode_1k: 64 * KB,
  decode_1k: 64 * KB,
  roundtrip_1k: 64 * KB,
  encode_50k: 192 * KB,
  decode_50k: 192 * KB,
  roundtrip_50k: 192 * KB,
  link_1m: 64 * KB,
};

/**
 * Heap limits in bytes: the smallest heap each job fits in on this port (measured, garbage
 * counted as live: heap.mjs) plus up to 3 KB, far less than a copy of a 50 KB payload. All but
 * the link job are within the targets; that one carries this port's uncollected garbage (1 MB
 * goes through 2,000 HTTP and file pieces) and the in-heap test servers, and meets its target
 * on the unix port instead (heap-unix.ts, docs/micropython.md).
 */
export const LIMITS = {
  import: 21 * KB, // measured 18 KB
  encode_1k: 45 * KB, // 42
  decode_1k: 59 * KB, // 57
  roundtrip_1k: 64 * KB, // 63 (the target: 1 KB of margin)
  encode_50k: 98 * KB, // 95
  decode_50k: 126 * KB, // 124
  roundtrip_50k: 187 * KB, // 183
  link_1m: 95 * KB, // 92 (the unix port: 63 KB on 32 bits)
};

/** The payload every job sends: byte i is (7i + 3) mod 256 (memcheck.pattern). */
export const pattern = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

/**
 * The jobs, without heapsize. `envelopes[label]`: a natsbridge envelope (bytes) carrying
 * pattern(SIZES[label]) as a binary payload "blob", for the decode jobs.
 */
export function jobs(envelopes) {
  const out = { import: { code: "import natsbridge_mpy" } };
  for (const [label, n] of Object.entries(SIZES)) {
    out[`encode_${label}`] = { setup: SETUP, code: `memcheck.run('encode', ${n})`, read: ["/pub0"] };
    out[`decode_${label}`] = { setup: SETUP_RX, code: `memcheck.run('decode', ${n})`, files: { "/msg.bin": envelopes[label] } };
    out[`roundtrip_${label}`] = { setup: SETUP_RX, code: `memcheck.run('roundtrip', ${n})` };
  }
  out.link_1m = {
    setup: SETUP_RX + ", natsbridge_link, memlink",
    code: "memlink.run_link('big.bin')",
    files: { "/big.bin": pattern(1 << 20) },
    read: ["/got.bin"],
  };
  out.roundtrip_50k_copy = { setup: SETUP_RX, code: `memcheck.run('roundtrip', ${SIZES["50k"]}, True)` };
  return out;
}

/** Envelopes made by natsbridge_mpy on CPython (the CLI has no TypeScript; the test uses natsbridge's). */
function cpythonEnvelope(n) {
  const code = [
    "import sys",
    `sys.path.insert(0, ${JSON.stringify(here)})`,
    "import natsbridge_mpy as nb",
    `d = bytearray((i * 7 + 3) & 255 for i in range(${n}))`,
    "sys.stdout.write(nb.smartsend('mem.t', [('blob', d, 'binary')], is_publish=False)[1])",
  ].join("\n");
  const r = spawnSync(process.env.PYTHON ?? "python3", ["-c", code], { encoding: "buffer", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

export async function measureAll() {
  const envelopes = Object.fromEntries(Object.entries(SIZES).map(([l, n]) => [l, cpythonEnvelope(n)]));
  const all = jobs(envelopes);
  const setup = await runWithHeap({ heapsize: 1 << 20, setup: all.encode_1k.setup, code: "" });
  const scaffold = await runWithHeap({ heapsize: 1 << 20, setup: "import natsbridge_mpy, natsbridge_nats", code: "" });
  console.log(`retained after importing natsbridge_mpy + natsbridge_nats: ${scaffold.retained} B; with memcheck: ${setup.retained} B`);
  for (const [name, job] of Object.entries(all)) {
    const min = await smallestHeap((h) => fitsWasm(job, h), { hi: 1 << 20 });
    console.log(`${name.padEnd(20)} ${min === null ? "> 1 MiB" : `${min} B (${(min / KB).toFixed(0)} KB)`}${LIMITS[name] ? `  limit ${LIMITS[name] / KB} KB, target ${TARGETS[name] / KB} KB` : ""}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes("--measure")) {
  await measureAll();
}
