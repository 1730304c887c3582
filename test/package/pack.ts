/**
 * The package as a consumer gets it: `npm pack` of a fresh build, unpacked into a scratch app's
 * node_modules. Tests must not need the network, so the app's other packages are symlinks into
 * the repository's node_modules instead of an `npm install` from the registry; every dependency
 * the tarball's package.json declares must be among them, so a missing one fails here as it
 * would fail for a consumer.
 */
import { build as tsup } from "tsup";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../browser/build-package.js";

const run = promisify(execFile);

export interface PackedPackage {
  /** Absolute path of natsbridge-<version>.tgz. */
  tarball: string;
  /** Paths inside the tarball, as `npm pack --json` lists them. */
  files: string[];
  /** The packed package.json. */
  manifest: { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
  dir: string;
  dispose(): Promise<void>;
}

/**
 * Build (tsup with the repo's config, into a private staging copy so it never races
 * `npm run build`) and `npm pack`. `dts: false` skips the declaration build for tests that only
 * run code.
 */
export async function packPackage(opts: { dts?: boolean } = {}): Promise<PackedPackage> {
  if (process.cwd() !== ROOT) throw new Error(`run the tests from the repository root (${ROOT}), not ${process.cwd()}`);
  const dir = await mkdtemp(join(tmpdir(), "natsbridge-pack-"));
  const stage = join(dir, "stage");
  await mkdir(stage);
  // What `files` and npm's always-included names can pick from; src/ is there to prove it is left out.
  for (const f of ["package.json", "README.md", "LICENSE", "fileserver", "src"]) await cp(join(ROOT, f), join(stage, f), { recursive: true });
  await tsup({ outDir: join(stage, "dist"), dts: opts.dts ?? true, silent: true, sourcemap: false });
  const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: stage });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const manifest = JSON.parse(await readFile(join(stage, "package.json"), "utf8"));
  return {
    tarball: join(dir, info!.filename),
    files: info!.files.map((f) => f.path),
    manifest,
    dir,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface AppOptions {
  /** Files of the app: path → contents. */
  files: Record<string, string>;
  /** Packages the app installs next to natsbridge (the peer it uses, @nats-io/*, …), linked from the repo. */
  with?: string[];
  type?: "module" | "commonjs";
}

/** A scratch app with the tarball unpacked as node_modules/natsbridge and its dependencies linked. */
export async function installApp(pkg: PackedPackage, name: string, opts: AppOptions): Promise<string> {
  const app = join(pkg.dir, name);
  const modules = join(app, "node_modules");
  await mkdir(join(modules, "natsbridge"), { recursive: true });
  await run("tar", ["-xzf", pkg.tarball, "-C", join(modules, "natsbridge"), "--strip-components=1"]);
  const deps = new Set([...Object.keys(pkg.manifest.dependencies ?? {}), ...(opts.with ?? [])]);
  for (const dep of deps) {
    const target = await realpath(join(ROOT, "node_modules", dep)).catch(() => {
      throw new Error(`${dep} is not installed in ${ROOT}/node_modules (npm install)`);
    });
    await mkdir(dirname(join(modules, dep)), { recursive: true });
    await symlink(target, join(modules, dep), "dir");
  }
  await writeFile(join(app, "package.json"), JSON.stringify({ name, private: true, type: opts.type ?? "module" }, null, 2));
  for (const [file, text] of Object.entries(opts.files)) {
    await mkdir(dirname(join(app, file)), { recursive: true });
    await writeFile(join(app, file), text);
  }
  return app;
}

/** Run `node <script>` in the app; resolves with stdout, rejects with stderr in the message. */
export async function runNode(app: string, script: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [script], { cwd: app, env: { ...process.env, ...env }, timeout: 30_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`node ${script} failed in ${app}:\n${err.stderr ?? ""}${err.stdout ?? ""}${err.message}`);
  }
}
