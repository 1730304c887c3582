/**
 * A second, separate copy of apache-arrow, as an application gets when its apache-arrow is
 * another install than natsbridge's (issue 12): the installed package directory is copied into
 * a temporary node_modules (its own dependencies linked beside it) and imported from there, so
 * every class in it is distinct from the copy natsbridge loads.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Arrow = typeof import("apache-arrow");

export interface ForeignArrow {
  arrow: Arrow;
  /** The node_modules holding the copy, for a child process (e.g. NODE_PATH). */
  dir: string;
  remove(): Promise<void>;
}

export async function loadForeignArrow(): Promise<ForeignArrow> {
  const require = createRequire(import.meta.url);
  // its entry file sits at the package root (package.json itself is not exported)
  const pkgDir = dirname(require.resolve("apache-arrow"));
  const root = await mkdtemp(join(tmpdir(), "natsbridge-foreign-arrow-"));
  const modules = join(root, "node_modules");
  await mkdir(modules);
  await cp(pkgDir, join(modules, "apache-arrow"), { recursive: true, dereference: true });
  const pkg = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (dep.startsWith("@types/")) continue;
    // where npm put it: nested under apache-arrow, else hoisted beside it
    const nested = join(pkgDir, "node_modules", dep);
    await symlink(existsSync(nested) ? nested : join(dirname(pkgDir), dep), join(modules, dep), "dir");
  }
  const arrow = (await import(pathToFileURL(join(modules, "apache-arrow", "Arrow.node.mjs")).href)) as Arrow;
  return { arrow, dir: modules, remove: () => rm(root, { recursive: true, force: true }) };
}
