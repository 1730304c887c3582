/**
 * Issue 12: a browser app on the current NATS client (@nats-io/nats-core v3, `wsconnect`) that
 * passes its connection to natsbridge. Bundled from the packed tarball by esbuild, Vite and
 * webpack with their defaults — nats.ws is not installed (it is an optional peer), so the build
 * must succeed without it and carry none of it — then run in Chromium against nats-server's
 * WebSocket port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build as esbuild } from "esbuild";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { NatsServerHandle } from "../helpers/nats-server.js";
import { uniqueSubject } from "../helpers/bridge-env.js";
import { installApp, type PackedPackage } from "../package/pack.js";
import { startPackageEnv } from "../package/package-env.js";
import { runPageApp, type PageApp } from "../package/run-page.js";
import { ROOT } from "./build-package.js";

let pkg: PackedPackage;
let nats: NatsServerHandle;
let browser: Browser;
let setupError: unknown;
let stop: (() => Promise<void>) | undefined;
// Bundling on a loaded two-core machine is slow: a generous limit that still stops a hang.
const test = (name: string, fn: () => Promise<void>) =>
  it(name, async () => {
    if (setupError !== undefined) throw setupError;
    await fn();
  }, 180_000);

beforeAll(async () => {
  const started = await startPackageEnv({ dts: false });
  ({ pkg, nats, browser } = started.env);
  setupError = started.error;
  stop = started.stop;
}, 300_000); // tsup (with declarations) and npm pack on a loaded two-core machine

afterAll(() => stop?.());

/** The v3 app, installed from the tarball with @nats-io/nats-core next to it and no nats.ws. */
async function v3App(name: string): Promise<string> {
  const page = await readFile(join(ROOT, "test/package/fixtures/v3-page.js"), "utf8");
  const html = `<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script><body>app</body>`;
  return installApp(pkg, name, { files: { "main.js": page, "index.html": html }, with: ["@nats-io/nats-core"] });
}

/** Module paths of the bundle that belong to `pkgName` (node_modules/<pkgName>/…). */
const modulesOf = (paths: string[], pkgName: string) => paths.filter((p) => p.replace(/\\/g, "/").includes(`node_modules/${pkgName}/`));

async function runsInChromium(app: PageApp): Promise<void> {
  const out = await runPageApp(browser, app, nats.wsUrl, uniqueSubject("bundlers.v3"));
  expect(out.payloads).toEqual([
    ["note", "hello from a v3 page", "text"],
    ["bytes", [1, 2, 250], "binary"],
  ]);
  // Without nats.ws, natsbridge cannot open a connection of its own, and says what to install.
  expect(out.ownConnection.code).toBe("NATS_CONNECTION_FAILED");
  expect(out.ownConnection.message).toContain("npm i nats.ws");
}

describe("a v3 browser app (@nats-io/nats-core wsconnect) bundled with", () => {
  test("esbuild, default options", async () => {
    const app = await v3App("esbuild-v3");
    const outDir = join(app, "out");
    // The CLI's `esbuild main.js --bundle --outdir=out` (platform browser, iife): no flags for crypto.
    const result = await esbuild({ entryPoints: [join(app, "main.js")], bundle: true, outdir: outDir, metafile: true, logLevel: "silent", absWorkingDir: app });
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(modulesOf(inputs, "natsbridge")).toContain("node_modules/natsbridge/dist/browser.js");
    expect(modulesOf(inputs, "nats.ws"), "nats.ws in the bundle").toEqual([]);
    expect(modulesOf(inputs, "@nats-io/nats-core").length).toBeGreaterThan(0);
    await runsInChromium({ outDir, html: { script: "main.js", module: false } });
  });

  test("Vite, default options", async () => {
    const app = await v3App("vite-v3");
    const vite = await import("vite");
    const warnings: string[] = [];
    const logger = vite.createLogger("warn");
    logger.warn = (msg) => void warnings.push(msg);
    logger.warnOnce = (msg) => void warnings.push(msg);
    const output = await vite.build({ root: app, configFile: false, logLevel: "warn", customLogger: logger });
    const outputs = (Array.isArray(output) ? output : [output]) as { output: { type: string; moduleIds?: string[] }[] }[];
    const ids = outputs.flatMap((o) => o.output.flatMap((c) => (c.type === "chunk" ? (c.moduleIds ?? []) : [])));
    expect(modulesOf(ids, "natsbridge").some((id) => id.endsWith("dist/browser.js"))).toBe(true);
    expect(modulesOf(ids, "nats.ws"), "nats.ws in the bundle").toEqual([]);
    expect(modulesOf(ids, "@nats-io/nats-core").length).toBeGreaterThan(0);
    expect(warnings.filter((w) => /crypto|nats\.ws/.test(w)), "warnings about nats.ws").toEqual([]);
    await runsInChromium({ outDir: join(app, "dist") });
  });

  test("webpack, default options (production mode; minification off, it does not change what is bundled)", async () => {
    const app = await v3App("webpack-v3");
    const { default: webpack } = await import("webpack");
    const stats = await new Promise<import("webpack").Stats>((resolve, reject) =>
      webpack({ mode: "production", context: app, entry: "./main.js", output: { path: join(app, "dist") }, optimization: { minimize: false } }, (err, s) => (err ? reject(err) : resolve(s!))),
    );
    const info = stats.toJson({ all: false, errors: true, warnings: true, modules: true, nestedModules: true });
    expect(info.errors?.map((e) => e.message) ?? []).toEqual([]);
    // webpack reports the missing optional module as a warning (the import sits in a try block); nothing else about it.
    const about = (info.warnings ?? []).map((w) => w.message).filter((m) => /nats\.ws|crypto/.test(m));
    expect(about.every((m) => /Can't resolve 'nats\.ws'/.test(m)), about.join("\n")).toBe(true);
    const names = (info.modules ?? []).flatMap((m) => [m.name ?? "", ...(m.modules ?? []).map((n) => n.name ?? "")]);
    expect(modulesOf(names, "natsbridge").length).toBeGreaterThan(0);
    expect(modulesOf(names, "nats.ws"), "nats.ws in the bundle").toEqual([]);
    expect(modulesOf(names, "@nats-io/nats-core").length).toBeGreaterThan(0);
    await runsInChromium({ outDir: join(app, "dist"), html: { script: "main.js", module: false } });
  });
});
