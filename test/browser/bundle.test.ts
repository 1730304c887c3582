import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build as esbuild } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";
import { buildPackage, bundleForBrowser, ROOT, unexpectedBuiltins } from "./build-package.js";

const FIXTURES = join(ROOT, "test/browser/fixtures");
/** Dependencies the browser build is allowed to pull in; everything else from node_modules is a leak. */
const ALLOWED_DEPS = ["nats.ws", "apache-arrow", "zod", "flatbuffers", "tslib", "json-with-bigint", "@noble/hashes"];
/**
 * Own-code budget (minified, natsbridge only, lazy chunks included): a regression guard, not a
 * target. 120 KB since the receiver's caps, origin policy and time limits, the Arrow IPC checker
 * (loaded with apache-arrow, in its own chunk), streams, request/reply and the JetStream / Object
 * Store claim-check (about 106 KB with them).
 */
const OWN_CODE_BUDGET = 120_000;

let pkg: Awaited<ReturnType<typeof buildPackage>>;
// A failed build must fail every test, not leave them "skipped" as a throwing beforeAll would.
let setupError: unknown;
beforeAll(async () => {
  try {
    pkg = await buildPackage();
  } catch (e) {
    setupError = e;
  }
});
const test = (name: string, fn: (ctx: { annotate: (m: string, t?: string) => Promise<unknown> }) => Promise<void>) =>
  it(name, async (ctx) => {
    if (setupError !== undefined) throw setupError;
    await fn(ctx);
  });
afterAll(async () => {
  await pkg?.dispose();
});

const packageOf = (input: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m ? m[1]! : "natsbridge";
};

function bytesByPackage(meta: Metafile, output: string): Record<string, number> {
  const by: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(meta.outputs[output]!.inputs)) {
    const p = packageOf(input);
    by[p] = (by[p] ?? 0) + bytesInOutput;
  }
  return by;
}

/** The realistic app fixture (bundle-app.ts), code-split and minified, into `<pkgDir>/<dir>`. */
const bundleApp = (dir: string) =>
  bundleForBrowser({
    pkgDir: pkg.pkgDir,
    entryPoints: { app: join(FIXTURES, "bundle-app.ts") },
    outdir: join(pkg.pkgDir, dir),
    splitting: true,
    minify: true,
  });

describe("browser bundle of the built package", () => {
  test("contains no Node built-in, no nats (TCP) and no undici, and resolves the browser build", async () => {
    const b = await bundleApp("out-esm");
    expect(unexpectedBuiltins(b.builtins), "Node built-ins imported by the browser bundle").toEqual([]);
    const inputs = Object.keys(b.metafile.inputs);
    const deps = [...new Set(inputs.map(packageOf))].filter((p) => p !== "natsbridge");
    expect(deps.filter((d) => d === "nats" || d === "undici"), "Node-only clients in the browser bundle").toEqual([]);
    expect(deps.filter((d) => !ALLOWED_DEPS.includes(d)), "unexpected dependencies in the browser bundle").toEqual([]);
    expect(deps).toContain("nats.ws");
    const own = inputs.filter((i) => packageOf(i) === "natsbridge" && !i.startsWith("test/"));
    expect(own.some((i) => i.endsWith("dist/browser.js")), `package "natsbridge" did not resolve to dist/browser.js: ${own.join(", ")}`).toBe(true);
    expect(own.filter((i) => /dist\/(node|fileserver)\.c?js$/.test(i)), "Node entry points in the browser bundle").toEqual([]);
  });

  /** `pkgName` is not in the entry chunk nor in anything it imports statically, but in a chunk it loads with import(). */
  const expectLazy = (b: Awaited<ReturnType<typeof bundleApp>>, pkgName: string) => {
    const outputs = Object.entries(b.metafile.outputs).filter(([f]) => f.endsWith(".js"));
    const entry = outputs.find(([, o]) => o.entryPoint?.endsWith("fixtures/bundle-app.ts"));
    expect(entry, "entry chunk").toBeDefined();
    const entryPkgs = new Set(Object.keys(entry![1].inputs).map(packageOf));
    expect([...entryPkgs], `${pkgName} in the entry chunk`).not.toContain(pkgName);
    // …and it is still reachable: a chunk of its own that the entry loads with import().
    const lazyChunk = outputs.find(([f, o]) => f !== entry![0] && Object.keys(o.inputs).some((i) => packageOf(i) === pkgName));
    expect(lazyChunk, `a lazily loaded ${pkgName} chunk`).toBeDefined();
    expect(entry![1].imports.find((i) => i.path === lazyChunk![0])?.kind).toBe("dynamic-import");
    // Nothing the entry imports statically drags it in either.
    for (const imp of entry![1].imports.filter((i) => i.kind === "import-statement")) {
      const chunk = b.metafile.outputs[imp.path];
      expect(Object.keys(chunk?.inputs ?? {}).map(packageOf), `static chunk ${imp.path}`).not.toContain(pkgName);
    }
  };

  test("keeps apache-arrow out of the entry chunk when the app sends no arrowtable (lazy import)", async () => {
    expectLazy(await bundleApp("out-split"), "apache-arrow");
  });

  test("keeps nats.ws out of the entry chunk: loaded when natsbridge opens a connection itself (issue 12)", async () => {
    expectLazy(await bundleApp("out-split-ws"), "nats.ws");
  });

  test("gives CommonJS consumers in a browser bundle the ESM browser build (nats.ws's CJS build needs Node)", async () => {
    // nats.ws's `require` entry loads nkeys.js, which calls require("util"); its ESM entry does not.
    // So the `browser` condition has no `require` branch: bundlers hand require() the ESM build.
    const b = await bundleForBrowser({
      pkgDir: pkg.pkgDir,
      entryPoints: { app: join(FIXTURES, "bundle-app-cjs.ts") },
      outdir: join(pkg.pkgDir, "out-cjs"),
      format: "iife",
    });
    expect(unexpectedBuiltins(b.builtins)).toEqual([]);
    const inputs = Object.keys(b.metafile.inputs);
    expect(inputs.some((i) => i.endsWith("dist/browser.js"))).toBe(true);
    expect(inputs.map(packageOf).filter((d) => d === "nats" || d === "undici" || d === "nkeys.js")).toEqual([]);
  });

  test("does not expose natsbridge/fileserver (Node only) to browser bundles", async () => {
    await expect(
      esbuild({
        stdin: { contents: 'import { startFileServer } from "natsbridge/fileserver"; console.log(startFileServer);', resolveDir: pkg.pkgDir, sourcefile: "app.js" },
        bundle: true,
        platform: "browser",
        conditions: ["browser"],
        write: false,
        logLevel: "silent",
      }),
    ).rejects.toThrow(/fileserver/);
  });

  test("reports the size of natsbridge's own code", async ({ annotate }) => {
    // The whole public API (export *), minified, with the third-party dependencies left external.
    const own = await bundleForBrowser({
      pkgDir: pkg.pkgDir,
      entryPoints: { all: join(FIXTURES, "bundle-all.ts") },
      outdir: join(pkg.pkgDir, "out-own"),
      minify: true,
      external: ["nats.ws", "apache-arrow", "zod"],
    });
    expect(own.builtins, "Node built-ins imported by natsbridge itself").toEqual([]);
    const ownFile = Object.keys(own.metafile.outputs).find((f) => f.endsWith("all.js"))!;
    const ownCode = await readFile(join(ROOT, ownFile));
    // A realistic app (tree-shaken, dependencies included) for context.
    const app = await bundleApp("out-app");
    const appEntry = Object.entries(app.metafile.outputs).find(([f, o]) => f.endsWith(".js") && o.entryPoint !== undefined)!;
    const appCode = await readFile(join(ROOT, appEntry[0]));
    const report = {
      natsbridge_own_minified_bytes: ownCode.length,
      natsbridge_own_minified_gzip_bytes: gzipSync(ownCode, { level: 9 }).length,
      app_entry_chunk_minified_bytes: appCode.length,
      app_entry_chunk_minified_gzip_bytes: gzipSync(appCode, { level: 9 }).length,
      app_entry_chunk_bytes_by_package: bytesByPackage(app.metafile, appEntry[0]),
      lazy_chunks: Object.entries(app.metafile.outputs)
        .filter(([f, o]) => f.endsWith(".js") && o.entryPoint === undefined)
        .map(([f, o]) => ({ file: relative(pkg.pkgDir, join(ROOT, f)), bytes: o.bytes, packages: [...new Set(Object.keys(o.inputs).map(packageOf))] })),
    };
    await mkdir(join(ROOT, "test-results"), { recursive: true });
    await writeFile(join(ROOT, "test-results/browser-bundle-size.json"), JSON.stringify(report, null, 2) + "\n");
    const line =
      `natsbridge own code (browser, minified): ${report.natsbridge_own_minified_bytes} B, ` +
      `${report.natsbridge_own_minified_gzip_bytes} B gzip; app entry chunk with zod (nats.ws and Arrow load lazily): ` +
      `${report.app_entry_chunk_minified_bytes} B (${report.app_entry_chunk_minified_gzip_bytes} B gzip)`;
    console.log(line);
    await annotate(line, "notice");
    expect(report.natsbridge_own_minified_bytes).toBeLessThan(OWN_CODE_BUDGET);
  });
});
