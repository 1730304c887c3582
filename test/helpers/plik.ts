/**
 * Start the real Plik server (plikd) for a test file: loopback only, a free port, file data and
 * sqlite metadata in a fresh temporary directory removed by `stop()`.
 *
 * The binary comes from `bash scripts/provision-plik.sh` (`.tools/bin/plikd`), or `PLIKD_BIN`,
 * or `plikd` on PATH. A missing binary is an error with instructions, never a skip.
 * The configuration is the template conformance/plik/plikd.cfg (see docs/plik.md).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { firstExecutable, freePort, launchServer, onPath, startInTempDir } from "./server-process.js";

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

/** `PLIKD_BIN`, then `.tools/bin/plikd` (scripts/provision-plik.sh), then `plikd` on PATH; or throws. */
export function findPlikd(): string {
  const candidates = [
    process.env.PLIKD_BIN,
    join(repoRoot, ".tools", "bin", "plikd"),
    ...onPath("plikd"),
  ];
  const found = firstExecutable(candidates);
  if (found) return found;
  throw new Error(
    "plikd (the real Plik server) not found: looked at $PLIKD_BIN, .tools/bin/plikd and PATH. " +
      "Run `bash scripts/provision-plik.sh` (builds github.com/root-gg/plik/server with `go install`), " +
      "or build plikd elsewhere and set PLIKD_BIN. See docs/plik.md.",
  );
}

/** The template with its placeholders filled; TOML basic strings take JSON string escapes. */
export async function renderPlikConfig(port: number, dataDir: string, dbPath: string): Promise<string> {
  const template = await readFile(plikConfigTemplate, "utf8");
  return template
    .replaceAll("@PORT@", String(port))
    .replaceAll("@DATA_DIR@", JSON.stringify(dataDir))
    .replaceAll("@DB_PATH@", JSON.stringify(dbPath));
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

async function attempt(bin: string, workDir: string): Promise<PlikHandle> {
  const port = await freePort();
  const dataDir = join(workDir, "files");
  await mkdir(dataDir, { recursive: true });
  const cfgPath = join(workDir, "plikd.cfg");
  await writeFile(cfgPath, await renderPlikConfig(port, dataDir, join(workDir, "plik.db")));

  const url = `http://127.0.0.1:${port}`;
  const { stop } = await launchServer({
    name: "plikd",
    bin,
    args: ["--config", cfgPath],
    cwd: workDir,
    ready: () => answers(url),
    pollMs: 50,
    timeoutMs: 20_000,
    exitedBefore: `answering on ${url}`,
    didNot: `answer GET ${url}/version`,
  });
  return { url, port, dir: workDir, stop };
}

/** Start plikd on a free loopback port; rejects with instructions or the server's log. */
export async function startPlik(): Promise<PlikHandle> {
  const bin = findPlikd();
  return startInTempDir("natsbridge-plik-", (workDir) => attempt(bin, workDir));
}
