/**
 * Real Chromium (system binary, playwright-core) against a real nats-server (WebSocket port) and
 * the dev file server on another origin: the browser build of the *packaged* library receives
 * every payload type from the Node entry and sends every type back, direct and link.
 */
import { afterAll, describe, expect } from "vitest";
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type Msg, type NatsConnection } from "nats";
import * as arrow from "apache-arrow";
import type { Browser, Page } from "playwright-core";
import { allStarted, guardedSetup } from "../helpers/guarded-setup.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, uniqueSubject } from "../helpers/bridge-env.js";
import { startFileServer, type FileServer } from "../../src/fileserver.js";
import { close as closeNode, smartreceive, smartsend, type SendTuple, type WireEnvelope } from "../../src/node.js";
import { buildPackage, bundleForBrowser, ROOT, unexpectedBuiltins } from "./build-package.js";
import { launchChromium, pageLog } from "./chromium.js";
import { startStaticServer, type StaticServer } from "./static-server.js";
import type { Described, E2E, ReceivedReport } from "./fixtures/e2e-page.js";

declare global {
  interface Window {
    e2e: E2E;
    e2eReady?: boolean;
  }
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let pkg: Awaited<ReturnType<typeof buildPackage>>;
let nats: NatsServerHandle;
let files: FileServer;
let site: StaticServer;
let browser: Browser;
let nc: NatsConnection;
const timings: Record<string, number> = {};

async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[name] = Math.round(performance.now() - t0);
  }
}

const test = guardedSetup(async () => {
  // Everything in parallel: the package build + page bundle, the servers, the browser.
  const pageBuild = (async () => {
    pkg = await timed("build package (tsup)", buildPackage);
    const outdir = join(pkg.pkgDir, "page");
    const b = await timed("bundle page (esbuild)", () =>
      bundleForBrowser({ pkgDir: pkg.pkgDir, entryPoints: { "e2e-page": join(ROOT, "test/browser/fixtures/e2e-page.ts") }, outdir, splitting: true }),
    );
    expect(unexpectedBuiltins(b.builtins)).toEqual([]);
    const html = `<!doctype html><meta charset="utf-8"><title>natsbridge e2e</title><script type="module" src="/e2e-page.js"></script><body>e2e</body>`;
    site = await startStaticServer(outdir, { "/index.html": html });
  })();
  await allStarted([
    timed("start nats-server", () => startNatsServer()).then((h) => (nats = h)),
    // The page is served from another origin (the static server's), decided once it listens.
    startFileServer({ host: "127.0.0.1", cors: { origins: (origin) => origin === site?.url } }).then((f) => (files = f)),
    timed("launch chromium", launchChromium).then((b) => (browser = b)),
    pageBuild,
  ]);
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await browser?.close();
  await closeNode();
  await nc?.close();
  await Promise.all([site?.close(), files?.close(), nats?.stop(), pkg?.dispose()]);
  await mkdir(join(ROOT, "test-results"), { recursive: true });
  await writeFile(join(ROOT, "test-results/browser-e2e-timings.json"), JSON.stringify(timings, null, 2) + "\n");
});

async function openPage(opts: { withoutNativeBase64?: boolean } = {}): Promise<{ page: Page; log: string[] }> {
  const page = await browser.newPage();
  const log = pageLog(page);
  if (opts.withoutNativeBase64) {
    // Older browsers: no Uint8Array.fromBase64 / toBase64, so the pure-JS codec runs.
    await page.addInitScript(() => {
      delete (Uint8Array as unknown as Record<string, unknown>).fromBase64;
      delete (Uint8Array.prototype as unknown as Record<string, unknown>).toBase64;
    });
  }
  await page.goto(`${site.url}/index.html`);
  try {
    await page.waitForFunction(() => window.e2eReady === true, undefined, { timeout: 10_000 });
  } catch (e) {
    throw new Error(`page did not load:\n${log.join("\n")}`, { cause: e });
  }
  return { page, log };
}

/** page.evaluate that cannot hang the test: a page stuck in a loop never answers. */
async function evaluateWithin<T>(page: Page, f: () => T | Promise<T>, ms: number, log: string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`page did not answer within ${ms} ms (busy or hung)\n${log.join("\n")}`)), ms);
  });
  try {
    return await Promise.race([page.evaluate(f), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForReceived(page: Page, log: string[], n: number, ms = 20_000): Promise<ReceivedReport[]> {
  const end = Date.now() + ms;
  for (;;) {
    const got = await evaluateWithin(page, () => window.e2e.received, 10_000, log);
    for (const r of got) if ("error" in r) throw new Error(`smartreceive failed in the browser (${r.code}): ${r.error}`);
    if (got.length >= n) return got as ReceivedReport[];
    if (Date.now() > end) throw new Error(`page received ${got.length}/${n} messages: ${JSON.stringify(got).slice(0, 2000)}\n${log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Collect raw envelopes as they travel, to check each payload's transport. */
async function rawEnvelopes(subject: string): Promise<{ envelopes: WireEnvelope[]; messages: Msg[] }> {
  const envelopes: WireEnvelope[] = [];
  const messages: Msg[] = [];
  nc.subscribe(subject, {
    callback: (_e, m) => {
      messages.push(m);
      envelopes.push(JSON.parse(new TextDecoder().decode(m.data)) as WireEnvelope);
    },
  });
  await nc.flush();
  return { envelopes, messages };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ---- what Node sends ---------------------------------------------------------------------------

const nodeTable = () =>
  new arrow.Table({
    id: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()),
    name: arrow.vectorFromArray(["ä", "b", null], new arrow.Utf8()),
    score: arrow.vectorFromArray([0.25, -1e-9, 3], new arrow.Float64()),
    flag: arrow.vectorFromArray([true, false, true], new arrow.Bool()),
    count: arrow.vectorFromArray([2n ** 40n, -5n, 0n], new arrow.Int64()),
  });

const NODE_BYTES = {
  image: randomBytes(5_000, 1),
  audio: randomBytes(40_000, 2),
  video: randomBytes(250_000, 3),
  binary: randomBytes(17, 4),
  empty: new Uint8Array(0),
  big: randomBytes(1_200_000, 5),
};

const nodePayloads = (): SendTuple[] => [
  ["greeting", "Grüße aus Node — 你好 🌍\n\ttabs and \"quotes\"", "text"],
  ["settings", { a: 1, nested: { list: [1, "two", null, true], deep: { x: -0.5 } }, big: 2n ** 63n - 1n, neg: -(2n ** 60n), s: "ñ" }, "dictionary"],
  ["rows", [{ id: 1, name: "x", v: 1.5 }, { id: 2, name: "y", v: null }], "jsontable"],
  ["table", nodeTable(), "arrowtable"],
  ["photo.png", NODE_BYTES.image, "image"],
  ["voice.ogg", NODE_BYTES.audio, "audio"],
  ["movie.webm", NODE_BYTES.video, "video"],
  ["small.bin", NODE_BYTES.binary, "binary"],
  ["empty.bin", NODE_BYTES.empty, "binary"],
  ["large.bin", NODE_BYTES.big, "binary"],
];

function checkNodePayloadsInBrowser(r: ReceivedReport): void {
  const by = Object.fromEntries(r.payloads.map((p) => [p.dataname, p]));
  expect(r.payloads.map((p) => [p.dataname, p.payload_type])).toEqual(nodePayloads().map(([n, , t]) => [n, t]));
  expect(by.greeting!.value).toEqual({ kind: "string", value: "Grüße aus Node — 你好 🌍\n\ttabs and \"quotes\"" });
  expect(by.settings!.value).toEqual({
    kind: "json",
    value: { a: 1, nested: { list: [1, "two", null, true], deep: { x: -0.5 } }, big: { $bigint: "9223372036854775807" }, neg: { $bigint: String(-(2n ** 60n)) }, s: "ñ" },
  });
  expect(by.rows!.value).toEqual({ kind: "json", value: [{ id: 1, name: "x", v: 1.5 }, { id: 2, name: "y", v: null }] });
  const t = by.table!.value as Extract<Described, { kind: "arrow" }>;
  expect(t.isTable, "arrowtable arrives as an apache-arrow Table").toBe(true);
  expect(t.numRows).toBe(3);
  expect(t.fields).toEqual([
    { name: "id", type: "Int32" },
    { name: "name", type: "Utf8" },
    { name: "score", type: "Float64" },
    { name: "flag", type: "Bool" },
    { name: "count", type: "Int64" },
  ]);
  expect(t.rows).toEqual([
    { id: 1, name: "ä", score: 0.25, flag: true, count: { $bigint: String(2n ** 40n) } },
    { id: 2, name: "b", score: -1e-9, flag: false, count: { $bigint: "-5" } },
    { id: 3, name: null, score: 3, flag: true, count: { $bigint: "0" } },
  ]);
  const bytes: [string, Uint8Array][] = [
    ["photo.png", NODE_BYTES.image],
    ["voice.ogg", NODE_BYTES.audio],
    ["movie.webm", NODE_BYTES.video],
    ["small.bin", NODE_BYTES.binary],
    ["empty.bin", NODE_BYTES.empty],
    ["large.bin", NODE_BYTES.big],
  ];
  for (const [name, b] of bytes) {
    expect(by[name]!.value, name).toEqual({ kind: "bytes", ctor: "Uint8Array", length: b.length, sha256: sha256(b) });
  }
}

describe("Chromium receives from a Node sender", () => {
  test("every payload type, direct (default threshold; the 1.2 MB one by link) and all by link (cross-origin downloads)", async () => {
    const { page, log } = await openPage();
    const info = await page.evaluate(() => window.e2e.info());
    expect(info).toMatchObject({ hasBuffer: false, hasProcess: false, isSecureContext: true });
    const subject = uniqueSubject("e2e.to-browser");
    await page.evaluate(([ws, s, fs]) => window.e2e.listen(ws!, s!, fs!), [nats.wsUrl, subject, files.url]);
    const raw = await rawEnvelopes(subject);

    await timed("node → browser, direct", async () => {
      await smartsend(subject, nodePayloads(), { broker_url: nats.url, fileserver_url: files.url, msg_purpose: "direct" });
      await waitForReceived(page, log, 1);
    });
    await timed("node → browser, all link", async () => {
      await smartsend(subject, nodePayloads(), { broker_url: nats.url, fileserver_url: files.url, msg_purpose: "link", size_threshold: 0 });
      await waitForReceived(page, log, 2);
    });
    const got = await waitForReceived(page, log, 2);
    await until(() => raw.envelopes.length >= 2, "raw envelopes");

    // What travelled: message 1 all direct except the payload over the 1 MB threshold, message 2 all link.
    const transports = raw.envelopes.map((e) => Object.fromEntries(e.payloads.map((p) => [p.dataname, p.transport])));
    expect(transports[0]).toEqual({ ...Object.fromEntries(nodePayloads().map(([n]) => [n, "direct"])), "large.bin": "link" });
    expect(Object.values(transports[1]!).every((t) => t === "link")).toBe(true);
    for (const p of raw.envelopes[1]!.payloads) expect(new URL(p.data).origin).toBe(new URL(files.url).origin);
    expect(new URL(files.url).origin).not.toBe(new URL(site.url).origin);

    expect(got.map((r) => r.msg_purpose)).toEqual(["direct", "link"]);
    for (const r of got) checkNodePayloadsInBrowser(r);
    await page.evaluate(() => window.e2e.shutdown());
    await page.close();
  });
});

describe("Chromium sends to a Node receiver", () => {
  test("every payload type, direct and by link (uploads from the browser), decoded by the Node entry", async () => {
    const { page, log } = await openPage();
    const subject = uniqueSubject("e2e.from-browser");
    const raw = await rawEnvelopes(subject);

    const sentDefault = await timed("browser → node, default threshold", () =>
      page.evaluate(([ws, fs, s]) => window.e2e.sendAll(ws!, fs!, s!), [nats.wsUrl, files.url, subject]),
    ).catch((e) => {
      throw new Error(`${e}\n${log.join("\n")}`);
    });
    const sentLink = await timed("browser → node, all link", () =>
      page.evaluate(([ws, fs, s]) => window.e2e.sendAll(ws!, fs!, s!, 0), [nats.wsUrl, files.url, subject]),
    ).catch((e) => {
      throw new Error(`${e}\n${log.join("\n")}`);
    });
    const names = ["note", "config", "rows", "table", "table_rows", "picture.png", "sound.wav", "clip.mp4", "blob.bin", "big.bin"];
    expect(sentDefault.transports).toEqual(names.map((n) => [n, n === "big.bin" ? "link" : "direct"]));
    expect(sentLink.transports).toEqual(names.map((n) => [n, "link"]));

    await until(() => raw.messages.length >= 2, "two envelopes from the browser");
    expect(raw.envelopes.map((e) => e.correlation_id)).toEqual([sentDefault.correlation_id, sentLink.correlation_id]);
    for (const [i, m] of raw.messages.entries()) {
      const env = await smartreceive(m, { fileserver_url: files.url });
      expect(env.sender_name).toBe("chromium");
      expect(env.msg_purpose).toBe(i === 0 ? "browser-default" : "browser-threshold-0");
      const by = Object.fromEntries(env.payloads.map(([n, v, t]) => [n, { v, t }]));
      expect(env.payloads.map(([n, , t]) => [n, t])).toEqual([
        ["note", "text"],
        ["config", "dictionary"],
        ["rows", "jsontable"],
        ["table", "arrowtable"],
        ["table_rows", "arrowtable"],
        ["picture.png", "image"],
        ["sound.wav", "audio"],
        ["clip.mp4", "video"],
        ["blob.bin", "binary"],
        ["big.bin", "binary"],
      ]);
      expect(by.note!.v).toBe("from the browser: ✓ ünïcødé 🚀");
      expect(by.config!.v).toEqual({ source: "chromium", n: 42, ratio: 0.1, nested: { ok: true, list: [1, "two", null] }, big: 9007199254740993n });
      expect(by.rows!.v).toEqual([{ id: 1, name: "a", score: 1.5 }, { id: 2, name: "b", score: null }]);

      const table = by.table!.v as arrow.Table;
      expect(table).toBeInstanceOf(arrow.Table);
      expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "label", "x", "big"]);
      expect(String(table.schema.fields[0]!.type)).toBe("Int32");
      expect(String(table.schema.fields[2]!.type)).toBe("Float64");
      expect(String(table.schema.fields[3]!.type)).toBe("Int64");
      expect(table.toArray().map((r) => r.toJSON())).toEqual([
        { id: 1, label: "alpha", x: 0.5, big: 1n },
        { id: 2, label: "βeta", x: -1.25, big: -(2n ** 62n) },
        { id: 3, label: "gamma", x: 1e300, big: 2n ** 63n - 1n },
      ]);
      const tableRows = by.table_rows!.v as arrow.Table;
      expect(tableRows.toArray().map((r) => r.toJSON())).toEqual([{ k: "x", v: 1 }, { k: "y", v: 2 }]);

      const png = by["picture.png"]!.v as Uint8Array;
      expect(png).toBeInstanceOf(Uint8Array);
      expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBe(sentDefault.pngLength);
      expect(sha256(png)).toBe(sentDefault.pngSha256);
      for (const [name, n, seed] of [["sound.wav", 3000, 11], ["clip.mp4", 70_000, 12], ["blob.bin", 1, 13], ["big.bin", 1_500_000, 14]] as const) {
        const got = by[name]!.v as Uint8Array;
        expect(got.length, name).toBe(n);
        expect(sha256(got), name).toBe(sha256(randomBytes(n, seed)));
      }
    }
    // Upload went to the dev file server from the browser (another origin: CORS preflight + multipart).
    expect(files.stats().uploads).toBeGreaterThanOrEqual(11);

    // nats_connection: smartsend over a connection the page opened itself.
    const next = new Promise<Msg>((res) => nc.subscribe(`${subject}.own`, { max: 1, callback: (_e, m) => res(m) }));
    await nc.flush();
    const cid = await page.evaluate(([ws, s]) => window.e2e.sendOnOwnConnection(ws!, s!), [nats.wsUrl, `${subject}.own`]);
    const own = await smartreceive(await next, { fileserver_url: files.url });
    expect(own.correlation_id).toBe(cid);
    expect(own.payloads).toEqual([["hello", "over the page's own connection", "text"]]);

    await page.evaluate(() => window.e2e.shutdown());
    await page.close();
  });

  test("rejects a nats:// broker_url in the browser with NATS_CONNECTION_FAILED and says why", async () => {
    const { page } = await openPage();
    const r = await page.evaluate(() => window.e2e.tryNatsUrl());
    expect(r).toMatchObject({ thrown: true, isNatsBridgeError: true, name: "NatsBridgeError", code: "NATS_CONNECTION_FAILED" });
    expect(r.message).toMatch(/ws:\/\/ or wss:\/\//);
    await page.close();
  });
});

describe("Chromium streams (issue 9)", () => {
  test("a File picked in the page and a web stream go by link with progress and their SHA-256; an abort publishes nothing", async () => {
    const { page, log } = await openPage();
    try {
      const subject = uniqueSubject("e2e.picked");
      const raw: Msg[] = [];
      const sub = nc.subscribe(subject, { callback: (_e, m) => raw.push(m) });
      await nc.flush();
      const picked = Buffer.from(randomBytes(2_500_000, 30));
      await page.setInputFiles("#picker", { name: "picked.bin", mimeType: "application/octet-stream", buffer: picked });
      const out = await page.evaluate(([ws, f, subj]) => window.e2e.sendPicked(ws, f, subj), [nats.wsUrl, files.url, subject] as const);
      const streamed = Buffer.concat([randomBytes(100_000, 31), randomBytes(100_000, 32)]);
      expect(out.name).toBe("picked.bin");
      expect(out.transports).toEqual([
        ["picked", "link", picked.length, sha256(picked)],
        ["streamed", "link", streamed.length, sha256(streamed)],
      ]);
      for (const [name, size] of [["picked", picked.length], ["streamed", streamed.length]] as const) {
        const mine = out.progress.filter((e) => e.dataname === name);
        expect(mine.length, name).toBeGreaterThanOrEqual(2);
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.loaded).toBeGreaterThanOrEqual(mine[i - 1]!.loaded);
        expect(mine.at(-1)).toMatchObject({ loaded: size, total: size, direction: "upload" });
      }
      await expect.poll(() => raw.length).toBe(1);
      const env = await smartreceive(raw[0]!, { fileserver_url: files.url });
      expect(sha256(env.payloads[0]![1] as Uint8Array)).toBe(sha256(picked));
      expect(sha256(env.payloads[1]![1] as Uint8Array)).toBe(sha256(streamed));

      const aborted = await page.evaluate(([ws, f, subj]) => window.e2e.abortUpload(ws, f, subj), [nats.wsUrl, files.url, subject] as const);
      expect(aborted.code).toBe("ABORTED");
      expect(aborted.pulledAfterAbort).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(raw).toHaveLength(1);
      sub.unsubscribe();
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.join("\n")}`, { cause: e });
    } finally {
      await page.close();
    }
  });
});

describe("Chromium without native Uint8Array base64 (pure-JS codec)", () => {
  test("round-trips direct payloads both ways", async () => {
    const { page, log } = await openPage({ withoutNativeBase64: true });
    expect((await page.evaluate(() => window.e2e.info())).nativeBase64).toBe(false);
    const subject = uniqueSubject("e2e.js-base64");
    await page.evaluate(([ws, s, fs]) => window.e2e.listen(ws!, s!, fs!), [nats.wsUrl, subject, files.url]);
    await smartsend(subject, nodePayloads(), { broker_url: nats.url, fileserver_url: files.url, msg_purpose: "direct" });
    const [r] = await waitForReceived(page, log, 1);
    checkNodePayloadsInBrowser(r!);

    const back = uniqueSubject("e2e.js-base64-back");
    const raw = await rawEnvelopes(back);
    await page.evaluate(([ws, fs, s]) => window.e2e.sendAll(ws!, fs!, s!), [nats.wsUrl, files.url, back]);
    await until(() => raw.messages.length >= 1, "envelope from the browser");
    const env = await smartreceive(raw.messages[0]!, { fileserver_url: files.url });
    const clip = env.payloads.find(([n]) => n === "clip.mp4")![1] as Uint8Array;
    expect(sha256(clip)).toBe(sha256(randomBytes(70_000, 12)));
    expect(raw.envelopes[0]!.payloads.find((p) => p.dataname === "clip.mp4")!.transport).toBe("direct");
    await page.evaluate(() => window.e2e.shutdown());
    await page.close();
  });
});

describe("examples/browser (npm run example:browser)", () => {
  test("sends text, an image and a large file from the page and lists them as received", async () => {
    const { startExample } = await import("../../examples/browser/serve.js");
    const ex = await timed("start example", () => startExample());
    const page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
    const log = pageLog(page);
    try {
      await page.goto(ex.url);
      await page.waitForFunction(() => (globalThis as { exampleReady?: boolean }).exampleReady === true, undefined, { timeout: 10_000 }).catch((e) => {
        throw new Error(`example page did not start:\n${log.join("\n")}`, { cause: e });
      });
      await expect.poll(() => page.textContent("#status")).toContain(ex.wsUrl);

      // Text.
      await page.fill("#text", "Hello from the browser example ✓");
      await page.click("#send-text");
      const textItem = page.locator('#received .payload[data-type="text"]');
      await textItem.first().waitFor({ timeout: 10_000 });
      expect(await textItem.first().locator(".text").textContent()).toBe("Hello from the browser example ✓");
      expect(await textItem.first().getAttribute("data-transport")).toBe("direct");

      // An image (a PNG the browser itself rendered: a screenshot of this page so far).
      const png = await page.screenshot({ type: "png" });
      await page.setInputFiles("#file", { name: "first-look.png", mimeType: "image/png", buffer: png });
      await page.click("#send-file");
      const img = page.locator('#received .payload[data-type="image"] img');
      await img.first().waitFor({ timeout: 10_000 });
      await expect.poll(() => img.first().evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(1100);

      // A 1.5 MB binary: over the threshold, so it is uploaded from the page and travels by link.
      const big = Buffer.from(randomBytes(1_500_000, 99));
      await page.setInputFiles("#file", { name: "big.bin", mimeType: "application/octet-stream", buffer: big });
      await page.click("#send-file");
      const bin = page.locator('#received .payload[data-dataname="big.bin"]');
      await bin.first().waitFor({ timeout: 15_000 });
      expect(await bin.first().getAttribute("data-transport")).toBe("link");
      await expect.poll(() => bin.first().locator(".sha256").textContent()).toBe(`sha256 ${sha256(big)}`);

      // Structured data: a dictionary and an Arrow table rendered as an HTML table.
      await page.click("#send-table");
      const table = page.locator('#received .payload[data-type="arrowtable"] table');
      await table.first().waitFor({ timeout: 10_000 });
      expect(await table.first().locator("td").allTextContents()).toEqual(["Oslo", "-3.5", "false", "Lisbon", "17.25", "true", "Nairobi", "24", "true"]);

      expect(await page.locator("#received > li").count()).toBe(4);
      expect(await page.locator("#received .error").count()).toBe(0);
      await mkdir(join(ROOT, "test-results"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test-results/browser-example.png"), fullPage: true });
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${log.join("\n")}`, { cause: e });
    } finally {
      await page.close();
      await ex.close();
    }
  });
});
