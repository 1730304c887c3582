/**
 * Run the built `natsbridge` executable (the package's `bin`, from a private tsup build: see
 * test/browser/build-package.ts) as a child process: `run` waits for it to exit, `start` keeps it
 * running and lets a test wait for lines on its stdout or stderr.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** Resolves with the first line on stdout or stderr matching `re` (earlier lines count too). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves once the process has exited. */
  done: Promise<CliRun>;
  signal(sig: NodeJS.Signals): void;
}

/** The path of the `natsbridge` bin in a built package directory, as its package.json says. */
export async function binPath(pkgDir: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8")) as { bin: Record<string, string> };
  return join(pkgDir, pkg.bin.natsbridge!);
}

export function startCli(command: string[], env: Record<string, string | undefined>, cwd: string): CliProcess {
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let stdout = "";
  let stderr = "";
  const onLine = (l: string) => {
    lines.push(l);
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.re.test(l)) waiters.splice(i, 1)[0]!.resolve(l);
  };
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
  createInterface({ input: child.stdout }).on("line", onLine);
  createInterface({ input: child.stderr }).on("line", onLine);
  const done = new Promise<CliRun>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
  // A test that fails before the process ends must not leave it running.
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  void done.then(() => clearTimeout(timer));
  return {
    line(re, timeoutMs = 30_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; so far:\n${stdout}\n--- stderr:\n${stderr}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void done.then((r) => setTimeout(() => reject(new Error(`exited (${r.code}) before printing ${re}:\n${r.stdout}\n--- stderr:\n${r.stderr}`)), 50));
      });
    },
    done,
    signal: (sig) => child.kill(sig),
  };
}

export function runCli(command: string[], env: Record<string, string | undefined>, cwd: string): Promise<CliRun> {
  return startCli(command, env, cwd).done;
}
