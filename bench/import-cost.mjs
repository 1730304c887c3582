/**
 * Import cost of the Node entry (issue 12): how long `await import("natsbridge")` takes in a fresh
 * Node process, and which packages the import loads.
 *
 *   npm run build && node bench/import-cost.mjs                 # this checkout's dist/
 *   node bench/import-cost.mjs dist /path/to/other/checkout/dist  # compare builds, runs interleaved
 *
 * Each run is a new `node` process (a module is only loaded once per process), so the figure
 * includes reading and compiling natsbridge and everything it imports, not Node's own start-up.
 * The builds take turns, so a machine that slows down mid-run slows all of them alike.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const RUNS = Number(process.env.RUNS ?? 21);
const dists = (process.argv.length > 2 ? process.argv.slice(2) : ["dist"]).map((d) => resolve(d));
for (const d of dists) {
  if (!existsSync(resolve(d, "node.js"))) throw new Error(`${d}/node.js not found (npm run build first)`);
}

/** One fresh process: milliseconds spent in `await import(<dist>/node.js)`. */
function importMs(dist) {
  const url = pathToFileURL(resolve(dist, "node.js")).href;
  const code = `const t0 = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }).trim());
}

/** Packages (node_modules/<name>) loaded by `require(<dist>/node.cjs)`, from the CommonJS module cache. */
function packagesLoaded(dist) {
  const code = `require(${JSON.stringify(resolve(dist, "node.cjs"))});
const names = Object.keys(require.cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]).filter(Boolean);
console.log(JSON.stringify([...new Set(names)].sort()));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", code], { encoding: "utf8" }));
}

const times = new Map(dists.map((d) => [d, []]));
for (let i = 0; i < RUNS; i++) {
  // Rotate the order every round.
  for (let j = 0; j < dists.length; j++) {
    const d = dists[(i + j) % dists.length];
    times.get(d).push(importMs(d));
  }
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
for (const d of dists) {
  const t = times.get(d).sort((a, b) => a - b);
  console.log(d);
  console.log(`  import: median ${pct(t, 0.5).toFixed(1)} ms (p10 ${pct(t, 0.1).toFixed(1)}, p90 ${pct(t, 0.9).toFixed(1)}; ${t.length} fresh processes)`);
  console.log(`  packages loaded by require(): ${packagesLoaded(d).join(", ")}`);
}
