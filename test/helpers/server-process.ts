/**
 * What test/helpers/nats-server.ts and test/helpers/plik.ts share: finding a server binary, free
 * loopback ports, running the server as a child process (log tail, exit tracking, SIGTERM then
 * SIGKILL, killed on process exit) and retrying on fresh ports in a temporary directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` in each directory of PATH, in PATH order. */
export function onPath(name: string): string[] {
  return (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, name));
}

/** The first candidate that is an executable file, or undefined. */
export function firstExecutable(candidates: (string | undefined)[]): string | undefined {
  for (const c of candidates) if (c && isExecutable(c)) return c;
  return undefined;
}

/** A port the OS just handed out; another process may still take it before the server binds it. */
export async function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Servers a test forgot to stop (or a worker that crashed) must not outlive the test process.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

/** A failed start; `portInUse` says a retry on fresh ports may succeed. */
export class StartFailure extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

export interface LaunchOptions {
  /** The server's name in error messages, e.g. "nats-server". */
  name: string;
  bin: string;
  args: string[];
  cwd?: string;
  /** Polled until true; gets the tail of the server's output. */
  ready(log: string): Promise<boolean>;
  pollMs: number;
  timeoutMs: number;
  /** Ends "<name> exited (code) before …", e.g. "accepting connections". */
  exitedBefore: string;
  /** Ends "<name> did not … within Ns", e.g. "accept connections on 4222". */
  didNot: string;
}

/**
 * Spawn the server and wait until `ready`; resolves with its `stop()` (SIGTERM, SIGKILL after 5 s),
 * rejects with the server's log if it exits first or is not ready within `timeoutMs`.
 */
export async function launchServer(opts: LaunchOptions): Promise<{ stop(): Promise<void>; kill(): Promise<void> }> {
  const { name, bin } = opts;
  const child = spawn(bin, opts.args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  installExitHook();
  // Keep the tail for error messages and keep draining the pipes so a chatty server never
  // blocks on a full pipe.
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
  // A crash, not a shutdown: no leader hand-off, no final flush (the cluster tests need that).
  const kill = async () => {
    if (!exited) {
      child.kill("SIGKILL");
      await exitPromise;
    }
  };

  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`);
    if (exited) {
      throw new StartFailure(
        `${name} exited (${exited.code ?? exited.signal}) before ${opts.exitedBefore}:\n${log}`,
        /address already in use/i.test(log),
      );
    }
    if (await opts.ready(log)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartFailure(`${name} did not ${opts.didNot} within ${opts.timeoutMs / 1000}s:\n${log}`, false);
    }
    await sleep(opts.pollMs);
  }
  return { stop, kill };
}

/**
 * Run `attempt` in a fresh temporary directory (prefix `prefix`), again on a StartFailure with
 * `portInUse` (up to 5 tries); the handle's `stop()` also removes the directory, once.
 */
export async function startInTempDir<H extends { stop(): Promise<void> }>(
  prefix: string,
  attempt: (workDir: string) => Promise<H>,
): Promise<H> {
  const workDir = await mkdtemp(join(tmpdir(), prefix));
  for (let tries = 1; ; tries++) {
    try {
      const handle = await attempt(workDir);
      let stopped: Promise<void> | undefined;
      return {
        ...handle,
        stop() {
          stopped ??= handle.stop().then(() => rm(workDir, { recursive: true, force: true }));
          return stopped;
        },
      };
    } catch (e) {
      // Free ports are only free when probed: another process may bind one first. Try new ones.
      if (e instanceof StartFailure && e.portInUse && tries < 5) continue;
      await rm(workDir, { recursive: true, force: true });
      throw e;
    }
  }
}
