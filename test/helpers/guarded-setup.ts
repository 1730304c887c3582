/**
 * A failed setup (no Chromium, no nats-server, a build error) must fail every test, not leave them
 * "skipped" as a throwing beforeAll would (a skip fails CI and hides the cause): the setup's error
 * is kept and rethrown from each test.
 */
import { beforeAll, it } from "vitest";

/** Runs `setup` in beforeAll; the returned `test` is vitest's `it` that first rethrows the setup's error. */
export function guardedSetup(setup: () => Promise<void>): (name: string, fn: () => Promise<void>) => void {
  let setupError: unknown;
  beforeAll(async () => {
    try {
      await setup();
    } catch (e) {
      setupError = e;
    }
  });
  return (name, fn) =>
    it(name, async () => {
      if (setupError !== undefined) throw setupError;
      await fn();
    });
}

/**
 * Wait for things started in parallel, then throw the first failure. allSettled, not all: whatever
 * did start has been assigned by then, so afterAll stops it even when something else failed.
 */
export async function allStarted(starts: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
