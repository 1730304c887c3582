/**
 * Real Chromium against a real nats-server (WebSocket): the browser build of the packaged library
 * keeps link payloads in a JetStream Object Store bucket over nats.ws (no HTTP file server), and
 * reads them back; Node reads the browser's objects and the browser Node's (issue 10).
 */
import { afterAll, describe, expect } from "vitest";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { connect, type Msg, type NatsConnection } from "nats";
import type { Browser, Page } from "playwright-core";
import { allStarted, guardedSetup } from "../helpers/guarded-setup.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, uniqueSubject } from "../helpers/bridge-env.js";
import { tableFromArrays } from "apache-arrow";
import { createBridge, createObjectStoreClaims, parseObjectLink, type Bridge, type SendTuple } from "../../src/node.js";
import { buildPackage, bundleForBrowser, ROOT, unexpectedBuiltins } from "./build-package.js";
import { launchChromium, pageLog } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";
import type { ObjectStorePage } from "./fixtures/objectstore-page.js";

declare global {
  interface Window {
    osPage: ObjectStorePage;
    osReady?: boolean;
  }
}

const BUCKET = "browser-claims";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let pkg: Awaited<ReturnType<typeof buildPackage>>;
let nats: NatsServerHandle;
let site: StaticServer;
let browser: Browser;
let nc: NatsConnection;
let node: Bridge;

const test = guardedSetup(async () => {
  const pageBuild = (async () => {
    pkg = await buildPackage();
    const outdir = join(pkg.pkgDir, "os-page");
    const b = await bundleForBrowser({ pkgDir: pkg.pkgDir, entryPoints: { "os-page": join(ROOT, "test/browser/fixtures/objectstore-page.ts") }, outdir, splitting: true });
    expect(unexpectedBuiltins(b.builtins)).toEqual([]);
    const html = `<!doctype html><meta charset="utf-8"><title>natsbridge object store</title><script type="module" src="/os-page.js"></script><body>os</body>`;
    site = await startStaticServer(outdir, { "/index.html": html });
  })();
  await allStarted([
    startNatsServer({ newest: true }).then((h) => (nats = h)),
    launchChromium().then((b) => (browser = b)),
    pageBuild,
  ]);
  nc = await connect({ servers: nats.url });
  const claims = createObjectStoreClaims({ connection: nc, bucket: BUCKET, ttl_ms: 60_000 });
  node = createBridge({ upload: claims.upload, download: claims.download, nats_connection: nc, size_threshold: 0 });
});

afterAll(async () => {
  await browser?.close();
  await node?.close();
  await nc?.close();
  await Promise.all([site?.close(), nats?.stop(), pkg?.dispose()]);
});

async function openPage(): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log = pageLog(page);
  await page.goto(`${site.url}/index.html`);
  await page.waitForFunction(() => window.osReady === true, undefined, { timeout: 10_000 }).catch((e) => {
    throw new Error(`page did not load:\n${log.join("\n")}`, { cause: e });
  });
  await page.evaluate(([ws, b]) => window.osPage.open(ws!, b!), [nats.wsUrl, BUCKET]);
  return { page, log };
}

async function pageReceived(page: Page, log: string[], n: number): Promise<any[]> {
  const end = Date.now() + 30_000;
  for (;;) {
    const got = (await page.evaluate(() => window.osPage.received)) as any[];
    for (const r of got) if ("error" in r) throw new Error(`smartreceive failed in the browser (${r.code}): ${r.error}`);
    if (got.length >= n) return got;
    if (Date.now() > end) throw new Error(`page received ${got.length}/${n}\n${log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const NODE_BYTES = { image: randomBytes(5000, 31), video: randomBytes(400_000, 32), empty: new Uint8Array(0) };
const nodePayloads = (): SendTuple[] => [
  ["text", "from Node — ü 🌍", "text"],
  ["dict", { a: 1, big: 2n ** 63n - 1n }, "dictionary"],
  ["rows", [{ id: 1, v: null }], "jsontable"],
  ["table", tableFromArrays({ id: Int32Array.from([7, 8]), x: Float64Array.from([0.5, -1]) }), "arrowtable"],
  ["img", NODE_BYTES.image, "image"],
  ["snd", randomBytes(100, 33), "audio"],
  ["vid", NODE_BYTES.video, "video"],
  ["empty", NODE_BYTES.empty, "binary"],
];

describe("Chromium and the JetStream Object Store (nats.ws)", () => {
  test("the browser and a Node subscriber both read every natsobj: payload Node sent (fan-out across runtimes)", async () => {
    const { page, log } = await openPage();
    const subject = uniqueSubject("os.to-browser");
    await page.evaluate((s) => window.osPage.listen(s), subject);
    const nodeSub = nc.subscribe(subject, { max: 1 });
    await nc.flush();
    const [sent] = await node.smartsend(subject, nodePayloads());
    for (const p of sent.payloads) expect(parseObjectLink(p.data).bucket).toBe(BUCKET);

    const [got] = await pageReceived(page, log, 1);
    const by = Object.fromEntries(got.payloads.map((p: any) => [p.dataname, p.value]));
    expect(by.text).toBe("from Node — ü 🌍");
    expect(by.dict).toEqual({ a: 1, big: String(2n ** 63n - 1n) });
    expect(by.rows).toEqual([{ id: 1, v: null }]);
    expect(by.table).toEqual([{ id: 7, x: 0.5 }, { id: 8, x: -1 }]);
    expect(by.img).toEqual({ length: 5000, sha256: sha256(NODE_BYTES.image) });
    expect(by.vid).toEqual({ length: 400_000, sha256: sha256(NODE_BYTES.video) });
    expect(by.empty).toEqual({ length: 0, sha256: sha256(NODE_BYTES.empty) });

    let m: Msg | undefined;
    for await (const x of nodeSub) m = x;
    const inNode = await node.smartreceive(m!);
    expect(inNode.payloads.find(([n]) => n === "vid")![1]).toEqual(NODE_BYTES.video);
    await page.evaluate(() => window.osPage.shutdown());
  });

  test("Node reads every payload type the browser put into the bucket", async () => {
    const { page } = await openPage();
    const subject = uniqueSubject("os.from-browser");
    const sub = nc.subscribe(subject, { max: 1 });
    await nc.flush();
    const sent = (await page.evaluate((s) => window.osPage.sendAll(s), subject)) as [string, string, string][];
    expect(sent.every(([, t, url]) => t === "link" && url.startsWith("natsobj://"))).toBe(true);
    let m: Msg | undefined;
    for await (const x of sub) m = x;
    const got = await node.smartreceive(m!);
    const by = Object.fromEntries(got.payloads.map(([n, v]) => [n, v]));
    expect(by.note).toBe("from the browser ✓");
    expect(by.config).toEqual({ n: 42, list: [1, "two", null] });
    expect(by.rows).toEqual([{ id: 1, name: "a" }]);
    expect((by.table as any).toArray().map((r: any) => r.toJSON())).toEqual([{ id: 1 }, { id: 2 }]);
    expect(by.picture).toEqual(randomBytes(3000, 21));
    expect(by.sound).toEqual(randomBytes(4000, 22));
    expect(sha256(by.clip as Uint8Array)).toBe(sha256(randomBytes(300_000, 23)));
    expect(by.blob).toEqual(randomBytes(10, 24));
    await page.evaluate(() => window.osPage.shutdown());
  });
});
