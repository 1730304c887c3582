/**
 * `npm pack` → unpack into a scratch app → run, as a consumer would (issue 12): Node ESM and
 * CommonJS apps on the `nats` peer, a Node app on @nats-io/transport-node v3 without `nats`
 * installed, a TypeScript consumer compiled with `tsc --strict` under node16 and bundler
 * resolution, and a bundled nats.ws browser app run in Chromium. Real nats-server, no network
 * beyond 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Browser } from "playwright-core";
import { build as esbuild } from "esbuild";
import type { NatsServerHandle } from "../helpers/nats-server.js";
import { uniqueSubject } from "../helpers/bridge-env.js";
import { ROOT } from "../browser/build-package.js";
import { installApp, runNode, type PackedPackage } from "./pack.js";
import { startPackageEnv } from "./package-env.js";
import { runPageApp } from "./run-page.js";

const FIXTURES = join(ROOT, "test/package/fixtures");
const fixture = (name: string) => readFile(join(FIXTURES, name), "utf8");
const run = promisify(execFile);

let pkg: PackedPackage;
let nats: NatsServerHandle;
let browser: Browser;
let setupError: unknown;
let stop: (() => Promise<void>) | undefined;
// tsc over every declaration file and bundling are slow on a loaded two-core machine: a generous
// limit that still stops a hang.
const test = (name: string, fn: () => void | Promise<void>) =>
  it(name, async () => {
    if (setupError !== undefined) throw setupError;
    await fn();
  }, 180_000);

beforeAll(async () => {
  const started = await startPackageEnv();
  ({ pkg, nats, browser } = started.env);
  setupError = started.error;
  stop = started.stop;
}, 300_000); // tsup (with declarations) and npm pack on a loaded two-core machine

afterAll(() => stop?.());

describe("the packed tarball", () => {
  test("holds the license, the readme and the build, not the sources", async () => {
    expect(pkg.files).toContain("LICENSE");
    expect(pkg.files).toContain("README.md");
    expect(pkg.files).toEqual(expect.arrayContaining(["dist/node.js", "dist/node.cjs", "dist/browser.js", "dist/node.d.ts", "dist/fileserver.js", "fileserver/package.json"]));
    expect(pkg.files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
    const license = await readFile(join(ROOT, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain("natsbridge contributors");
  });

  test("declares the NATS clients as optional peers, not dependencies", () => {
    // A v3 user must not get nats / nats.ws installed (and bundled) with natsbridge.
    expect(Object.keys(pkg.manifest.dependencies ?? {})).not.toContain("nats");
    expect(Object.keys(pkg.manifest.dependencies ?? {})).not.toContain("nats.ws");
    expect(Object.keys(pkg.manifest.peerDependencies ?? {}).sort()).toEqual(["nats", "nats.ws"]);
  });
});

describe("a Node app", () => {
  test("ESM with nats: natsbridge's own connection, a link payload via natsbridge/fileserver", async () => {
    const app = await installApp(pkg, "node-esm", { files: { "main.mjs": await fixture("node-esm.mjs") }, with: ["nats"] });
    const out = JSON.parse(await runNode(app, "main.mjs", { NATS_URL: nats.url, SUBJECT: uniqueSubject("pkg.esm") }));
    expect(out).toEqual({
      transports: ["direct", "direct", "link"],
      note: "héllo from ESM",
      config: { n: 1, big: String(2n ** 63n - 1n) },
      blob: { isUint8Array: true, length: 200_000, same: true },
    });
  });

  test("CommonJS with nats: require() loads neither nats nor undici, the first send loads nats", async () => {
    const app = await installApp(pkg, "node-cjs", { files: { "main.cjs": await fixture("node-cjs.cjs") }, with: ["nats", "undici"] });
    const out = JSON.parse(await runNode(app, "main.cjs", { NATS_URL: nats.url, SUBJECT: uniqueSubject("pkg.cjs") }));
    expect(out.note).toBe("hello from CJS");
    expect(out.png).toEqual([137, 80, 78, 71]);
    expect(out.afterRequire).toContain("zod");
    expect(out.afterRequire).not.toContain("nats");
    expect(out.afterRequire).not.toContain("undici");
    expect(out.afterSend).toContain("nats");
  });

  test("on @nats-io/transport-node v3 without nats installed; broker_url then says what to install", async () => {
    const app = await installApp(pkg, "node-v3", { files: { "main.mjs": await fixture("node-v3.mjs") }, with: ["@nats-io/transport-node"] });
    const out = JSON.parse(await runNode(app, "main.mjs", { NATS_URL: nats.url, SUBJECT: uniqueSubject("pkg.v3") }));
    expect(out.payloads).toEqual([
      ["note", "hello from v3", "text"],
      ["rows", [{ a: 1 }, { a: 2 }], "jsontable"],
    ]);
    expect(out.ownConnection.code).toBe("NATS_CONNECTION_FAILED");
    expect(out.ownConnection.message).toContain("npm i nats");
  });
});

describe("a TypeScript consumer (tsc --strict, skipLibCheck off)", () => {
  const compile = async (name: string, compilerOptions: Record<string, unknown>) => {
    const app = await installApp(pkg, name, { files: { "src/consumer.ts": await fixture("types-consumer.ts") }, with: ["@types/node"] });
    const tsconfig = {
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: "ES2022", lib: ["ES2022", "DOM"], types: ["node"], ...compilerOptions },
      include: ["src"],
    };
    await writeFile(join(app, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
    try {
      await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, timeout: 120_000 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`tsc failed for ${name}:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
    }
  };

  test("moduleResolution node16 (ESM app)", async () => {
    await compile("types-node16", { module: "node16", moduleResolution: "node16" });
  });

  test("moduleResolution bundler", async () => {
    // The declarations were checked in full above; checking every library's again only costs time.
    await compile("types-bundler", { module: "ESNext", moduleResolution: "bundler", skipLibCheck: true });
  });
});

describe("a bundled browser app", () => {
  test("on nats.ws, natsbridge connecting from broker_url, runs in Chromium", async () => {
    const app = await installApp(pkg, "browser-natsws", { files: { "main.js": await fixture("natsws-page.js") }, with: ["nats.ws"] });
    const outDir = join(app, "out");
    // docs/browser.md: nats.ws's bundle has a dead require("crypto") that esbuild must be told about.
    const result = await esbuild({ entryPoints: [join(app, "main.js")], bundle: true, outdir: outDir, external: ["crypto"], metafile: true, logLevel: "silent", absWorkingDir: app });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("node_modules/natsbridge/dist/browser.js")), inputs.join("\n")).toBe(true);
    expect(inputs.some((i) => /nats\.ws\/esm\//.test(i))).toBe(true);
    const out = await runPageApp(browser, { outDir, html: { script: "main.js", module: false } }, nats.wsUrl, uniqueSubject("pkg.natsws"));
    expect(out.payloads).toEqual([
      ["note", "hello from a nats.ws page", "text"],
      ["config", { a: [1, 2] }, "dictionary"],
    ]);
  });
});
