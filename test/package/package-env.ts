import type { Browser } from "playwright-core";
import { launchChromium } from "../browser/chromium.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { packPackage, type PackedPackage } from "./pack.js";

export interface PackageEnv {
  pkg: PackedPackage;
  nats: NatsServerHandle;
  browser: Browser;
}

/**
 * The packed package, a nats-server (TCP and WebSocket) and Chromium, started together. A failed
 * start is returned as `error` (for each test to rethrow: a throwing beforeAll would leave the tests
 * "skipped"); `stop` stops whatever did start.
 */
export async function startPackageEnv(opts: { dts?: boolean } = {}): Promise<{ env: PackageEnv; error?: unknown; stop(): Promise<void> }> {
  const env = {} as PackageEnv;
  const results = await Promise.allSettled([
    packPackage(opts).then((p) => (env.pkg = p)),
    startNatsServer().then((n) => (env.nats = n)),
    launchChromium().then((b) => (env.browser = b)),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  const stop = async () => {
    await env.browser?.close();
    await Promise.all([env.nats?.stop(), env.pkg?.dispose()]);
  };
  return { env, error: failed?.reason, stop };
}
