import { describe, expect, it } from "vitest";
import { runFuzz } from "../fuzz/run.js";

/**
 * The fixed-seed subset of `npm run fuzz` (issue 8): a few thousand mutated envelopes, each in a
 * worker with a watchdog and a memory cap, against the built package. The full run's 1 s target is
 * reported by `npm run fuzz`; here a hang is what a watchdog of several seconds catches, so a loaded
 * CI machine cannot fail it by being slow.
 */
describe("fuzz (fixed seed)", () => {
  it("2,500 mutated envelopes: no uncoded exception, hang, crash, wrong value or request to a non-allowed origin", async () => {
    const rep = await runFuzz({ count: 2_500, seed: 20261202, workers: 2, watchdogMs: 15_000 });
    expect(rep.inputs).toBe(2_500);
    expect(rep.uncoded).toEqual([]);
    expect(rep.hangs).toEqual([]);
    expect(rep.crashes).toEqual([]);
    expect(rep.wrong).toEqual([]);
    expect(rep.trapRequests).toBe(0);
    // The mutations must reach every verdict, or the fuzzer is not exercising the receiver.
    for (const code of ["ok", "INVALID_ENVELOPE", "DESERIALIZATION_ERROR", "DOWNLOAD_FAILED", "INVALID_PAYLOAD_TYPE", "INVALID_TRANSPORT"]) {
      expect(rep.outcomes[code] ?? 0, code).toBeGreaterThan(10);
    }
  }, 300_000);
});
