import { build as esbuild, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import { build as tsup } from "tsup";
import { copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The browser tests exercise the package as it is published, not the sources: tsup (with the
 * repo's tsup.config.ts, only the output directory and dts changed) builds into a private
 * directory next to a copy of package.json, so "natsbridge" resolves through the real `exports`
 * map. Private so that it never races `npm run build` or another test file reading dist/.
 */
export async function buildPackage(): Promise<{ pkgDir: string; dispose(): Promise<void> }> {
  const pkgDir = await mkdtemp(join(tmpdir(), "natsbridge-pkg-"));
  const cwd = process.cwd();
  if (cwd !== ROOT) throw new Error(`run the tests from the repository root (${ROOT}), not ${cwd}`);
  await tsup({ outDir: join(pkgDir, "dist"), dts: false, silent: true, sourcemap: false });
  await copyFile(join(ROOT, "package.json"), join(pkgDir, "package.json"));
  // Dependencies (nats.ws, apache-arrow, zod) resolve from the repo's node_modules.
  await symlink(join(ROOT, "node_modules"), join(pkgDir, "node_modules"), "dir");
  return { pkgDir, dispose: () => rm(pkgDir, { recursive: true, force: true }) };
}

/**
 * Test fixtures import the source entry (`src/browser.ts`) so that `tsc` type-checks them
 * against the sources; when bundling, this plugin swaps that import for the *package*
 * "natsbridge", resolved from `pkgDir` with the bundle's conditions (so: exports → browser build).
 */
export function usePackage(pkgDir: string): Plugin {
  return {
    name: "natsbridge-as-package",
    setup(b) {
      b.onResolve({ filter: /(^|\/)src\/browser(\.js|\.ts)?$/ }, async (args) => {
        const r = await b.resolve("natsbridge", { kind: args.kind, resolveDir: pkgDir, importer: join(pkgDir, "app.js") });
        if (r.errors.length > 0) return { errors: r.errors };
        return { path: r.path, sideEffects: r.sideEffects };
      });
    },
  };
}

/** Node built-ins as esbuild sees them in import specifiers. */
export async function nodeBuiltinFilter(): Promise<RegExp> {
  const { builtinModules } = await import("node:module");
  const names = builtinModules.filter((m) => !m.startsWith("_")).map((m) => m.replace(/[/\\^$.*+?()[\]{}|]/g, "\\$&"));
  return new RegExp(`^(node:.*|(${names.join("|")})(/.*)?)$`);
}

/**
 * Node built-in references that are upstream's and harmless. nats.ws's ESM bundle inlines
 * tweetnacl, whose PRNG setup falls back to `require('crypto')` only when globalThis.crypto is
 * missing *and* `require` exists, which never happens in a browser; esbuild sees the call anyway
 * and, unconfigured, refuses to bundle (https://github.com/nats-io/nats.ws/issues/241).
 * docs/browser.md tells esbuild users to mark `crypto` external; the tests do the same.
 */
export const KNOWN_UPSTREAM_BUILTINS: RegExp[] = [/node_modules\/nats\.ws\/esm\/nats\.js → crypto$/];

export const unexpectedBuiltins = (found: string[]): string[] =>
  found.filter((f) => !KNOWN_UPSTREAM_BUILTINS.some((re) => re.test(f)));

export interface BrowserBundle {
  metafile: Metafile;
  outdir: string;
  /** Node built-ins some module tried to import: `importer → specifier`. */
  builtins: string[];
}

/**
 * Bundle for the browser platform. Node built-ins are not fatal to the build: they are recorded
 * (and marked external) so a test can name the importer instead of showing esbuild's error.
 */
export async function bundleForBrowser(opts: BuildOptions & { pkgDir: string; outdir: string }): Promise<BrowserBundle> {
  const builtins: string[] = [];
  const filter = await nodeBuiltinFilter();
  const recordBuiltins: Plugin = {
    name: "record-node-builtins",
    setup(b) {
      b.onResolve({ filter }, (args) => {
        builtins.push(`${args.importer} → ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const { pkgDir, ...options } = opts;
  const result = await esbuild({
    bundle: true,
    platform: "browser",
    conditions: ["browser"],
    format: "esm",
    target: "es2022",
    metafile: true,
    logLevel: "silent",
    absWorkingDir: ROOT,
    ...options,
    plugins: [recordBuiltins, usePackage(pkgDir), ...(options.plugins ?? [])],
  });
  return { metafile: result.metafile!, outdir: opts.outdir, builtins };
}
