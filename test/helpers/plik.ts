/**
 * Start the real Plik server (plikd) for a test file: loopback only, a free port, file data and
 * sqlite metadata in a fresh temporary directory removed by `stop()`.
 *
 * The binary comes from `bash scripts/provision-plik.sh` (`.tools/bin/plikd`), or `PLIKD_BIN`,
 * or `plikd` on PATH. A missing binary is an error with instructions, never a skip.
 * The configuration is the template conformance/plik/plikd.cfg (see docs/plik.md).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface PlikHandle {
  /** `http://127.0.0.1:PORT`: the `fileserver_url` to give natsbridge. */
  url: string;
  port: number;
  /** The temporary directory holding plikd.cfg, files/ and plik.db. */
  dir: string;
  stop(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const plikConfigTemplate = join(repoRoot, "conformance", "plik", "plikd.cfg");

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `PLIKD_BIN`, then `.tools/bin/plikd` (scripts/provision-plik.sh), then `plikd` on PATH; or throws. */
export function findPlikd(): string {
  const candidates = [
    process.env.PLIKD_BIN,
    join(repoRoot, ".tools", "bin", "plikd"),
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "plikd")),
  ];
  for (const c of candidates) if (c && isExecutable(c)) return c;
  throw new Error(
    "plikd (the real Plik server) not found: looked at $PLIKD_BIN, .tools/bin/plikd and PATH. " +
      "Run `bash scripts/provision-plik.sh` (builds github.com/root-gg/plik/server with `go install`), " +
      "or build plikd elsewhere and set PLIKD_BIN. See docs/plik.md.",
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolvePort(port));
    });
  });
}

/** The template with its placeholders filled; TOML basic strings take JSON string escapes. */
export async function renderPlikConfig(port: number, dataDir: string, dbPath: string): Promise<string> {
  const template = await readFile(plikConfigTemplate, "utf8");
  return template
    .replaceAll("@PORT@", String(port))
    .replaceAll("@DATA_DIR@", JSON.stringify(dataDir))
    .replaceAll("@DB_PATH@", JSON.stringify(dbPath));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/version`, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

async function attempt(bin: string, workDir: string): Promise<PlikHandle & { portInUse?: boolean }> {
  const port = await freePort();
  const dataDir = join(workDir, "files");
  await mkdir(dataDir, { recursive: true });
  const cfgPath = join(workDir, "plikd.cfg");
  await writeFile(cfgPath, await renderPlikConfig(port, dataDir, join(workDir, "plik.db")));

  const child = spawn(bin, ["--config", cfgPath], { cwd: workDir, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  installExitHook();
  let log = "";
  const collect = (b: Buffer) => {
    log = (log + b.toString("utf8")).slice(-8000);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((r) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      running.delete(child);
      r();
    }),
  );
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exitPromise;
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`);
    if (exited) {
      const err = new Error(`plikd exited (${exited.code ?? exited.signal}) before answering on ${url}:\n${log}`);
      (err as Error & { portInUse?: boolean }).portInUse = /address already in use/i.test(log);
      throw err;
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`plikd did not answer GET ${url}/version within 20s:\n${log}`);
    }
    await sleep(50);
  }
  return { url, port, dir: workDir, stop };
}

/** Start plikd on a free loopback port; rejects with instructions or the server's log. */
export async function startPlik(): Promise<PlikHandle> {
  const bin = findPlikd();
  const workDir = await mkdtemp(join(tmpdir(), "natsbridge-plik-"));
  for (let tries = 1; ; tries++) {
    try {
      const handle = await attempt(bin, workDir);
      let stopped: Promise<void> | undefined;
      return {
        url: handle.url,
        port: handle.port,
        dir: handle.dir,
        stop() {
          stopped ??= handle.stop().then(() => rm(workDir, { recursive: true, force: true }));
          return stopped;
        },
      };
    } catch (e) {
      if ((e as { portInUse?: boolean }).portInUse && tries < 5) continue;
      await rm(workDir, { recursive: true, force: true });
      throw e;
    }
  }
}
