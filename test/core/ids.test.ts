import { describe, expect, it } from "vitest";
import { uuidv4 } from "../../src/core/uuid.js";
import { isoNow } from "../../src/core/clock.js";

describe("ids and timestamps smartsend writes", () => {
  it("uuidv4: version 4, RFC 4122 variant, no repeats across pool refills", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const seen = new Set<string>();
    // The pool holds 256 ids: 1000 draws cross three refills.
    for (let i = 0; i < 1000; i++) {
      const id = uuidv4();
      expect(id).toMatch(uuid);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
  });

  it("isoNow: Date#toISOString text of the current millisecond, moving with the clock", async () => {
    const before = Date.now();
    const t = isoNow();
    const after = Date.now();
    expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const ms = Date.parse(t);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    await new Promise((r) => setTimeout(r, 5));
    expect(Date.parse(isoNow())).toBeGreaterThan(ms);
  });
});
