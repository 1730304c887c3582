#!/usr/bin/env node
// Makes sure a `nats-server` binary exists for the tests and the demo on a fresh machine.
// Runs before every `npm test` / `npm run demo`, so when the binary is already there it must be
// silent and take milliseconds. Plain Node ESM with no dependencies: it runs before anything else.
//
// With --current (scripts/provision-test.sh passes it) it also builds the pinned current release
// into .tools/bin once (go install, about a minute), next to any distro package: the JetStream and
// cluster tests run the newest nats-server found (test/helpers/nats-server.ts), and Debian 12's
// package (2.9.10) stays the fallback when Go or the module proxy is unavailable.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const toolsBin = join(repoRoot, ".tools", "bin");
// Pinned so every machine without a distro package tests against the same server.
const PINNED = "2.15.2";
const GO_MODULE = `github.com/nats-io/nats-server/v2@v${PINNED}`;
const pinnedBin = join(toolsBin, "nats-server");

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function which(name) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

// Same places test/helpers/nats-server.ts looks.
function findNatsServer() {
  if (process.env.NATS_SERVER_BIN && isExecutable(process.env.NATS_SERVER_BIN)) return process.env.NATS_SERVER_BIN;
  return (
    which("nats-server") ??
    ["/usr/sbin/nats-server", "/usr/local/bin/nats-server", join(toolsBin, "nats-server")].find(isExecutable)
  );
}

function say(line) {
  process.stderr.write(`ensure-tools: ${line}\n`);
}

/** Run a command with its output shown only if it fails, so a working install stays short. */
function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, output: r.error.message };
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function tail(text, lines = 15) {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function aptCandidateKnown() {
  // `apt-cache policy` prints "Candidate: (none)" when the package lists are missing or stale
  // (a fresh container image ships without lists), which is exactly when `apt-get update` is needed.
  const r = run("apt-cache", ["policy", "nats-server"]);
  return r.ok && /Candidate:\s*(?!\(none\))\S+/.test(r.output);
}

function tryApt() {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !which("apt-get")) return false;
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (!aptCandidateKnown()) {
    say("running apt-get update");
    const u = run("apt-get", ["update"], env);
    if (!u.ok) say(`apt-get update failed:\n${tail(u.output)}`);
  }
  say("installing nats-server with apt-get");
  const r = run("apt-get", ["install", "-y", "--no-install-recommends", "nats-server"], env);
  if (!r.ok) {
    say(`apt-get install nats-server failed:\n${tail(r.output)}`);
    return false;
  }
  return true;
}

function goBinary() {
  return which("go") ?? ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"].find(isExecutable);
}

function tryGo() {
  const go = goBinary();
  if (!go) {
    say("go not found, cannot build nats-server from source");
    return false;
  }
  say(`building ${GO_MODULE} into ${toolsBin} (go install; about a minute, once)`);
  // GOBIN puts the binary in the repo's git-ignored .tools/bin instead of the user's GOPATH;
  // GOTOOLCHAIN=auto lets an older go fetch the toolchain version nats-server's go.mod requires.
  const r = run(go, ["install", GO_MODULE], { GOBIN: toolsBin, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "auto", CGO_ENABLED: "0" });
  if (!r.ok) {
    say(`go install failed:\n${tail(r.output)}`);
    return false;
  }
  return true;
}

function pinnedBuilt() {
  if (!isExecutable(pinnedBin)) return false;
  return run(pinnedBin, ["--version"]).output.includes(`v${PINNED}`);
}

if (process.argv.includes("--current") && !pinnedBuilt()) {
  // The build is cached in .tools/bin: this runs once per checkout (and again when PINNED moves).
  if (tryGo() && pinnedBuilt()) {
    say(`nats-server ${PINNED} ready: ${pinnedBin}`);
    process.exit(0);
  }
  const fallback = findNatsServer();
  if (fallback) {
    say(`could not build nats-server ${PINNED}; the tests use ${fallback} (${tail(run(fallback, ["--version"]).output, 1)})`);
    process.exit(0);
  }
}

if (findNatsServer()) process.exit(0);

say("nats-server not found; installing it for the tests and the demo");
for (const attempt of [tryApt, tryGo]) {
  if (attempt()) {
    const found = findNatsServer();
    if (found) {
      say(`nats-server ready: ${found}`);
      process.exit(0);
    }
  }
}

const hint = existsSync(toolsBin) ? ` (.tools/bin holds: ${readdirSync(toolsBin).join(", ") || "nothing"})` : "";
process.stderr.write(
  "ensure-tools: could not install nats-server.\n" +
    "  Tried: apt-get install nats-server (needs root and apt), then\n" +
    `  GOBIN=${toolsBin} go install ${GO_MODULE} (needs Go and the Go module proxy)${hint}.\n` +
    "  Install nats-server yourself (https://github.com/nats-io/nats-server/releases), put it on PATH,\n" +
    "  or set NATS_SERVER_BIN=/path/to/nats-server.\n",
);
process.exit(1);
