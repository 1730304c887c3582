/**
 * Start a real `nats-server` for a test file: TCP and WebSocket listeners on free loopback ports,
 * JetStream in a temporary store, all removed again by `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface NatsServerOptions {
  /** Server `max_payload` in bytes; natsbridge reads it from INFO to decide what fits in one message. */
  maxPayload?: number;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT`, for the `nats` (TCP) client. */
  url: string;
  /** `ws://127.0.0.1:WSPORT`, for `nats.ws`. */
  wsUrl: string;
  port: number;
  wsPort: number;
  stop(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Same search order as scripts/ensure-tools.mjs, which installs into the last place looked. */
export function findNatsServer(): string {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "nats-server")),
    "/usr/sbin/nats-server",
    "/usr/local/bin/nats-server",
    join(repoRoot, ".tools", "bin", "nats-server"),
  ];
  for (const c of candidates) if (c && isExecutable(c)) return c;
  throw new Error(
    "nats-server not found (looked on PATH, /usr/sbin, /usr/local/bin and .tools/bin). " +
      "Run `node scripts/ensure-tools.mjs` to install it, or set NATS_SERVER_BIN.",
  );
}

/** A port the OS just handed out; another process may still take it before nats-server binds it. */
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

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1000, () => done(false));
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

function configText(port: number, wsPort: number, storeDir: string, maxPayload?: number): string {
  // JSON string literals are valid quoted strings in the NATS config format, so paths need no escaping.
  const lines = [
    `listen: "127.0.0.1:${port}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(storeDir)}`,
    `}`,
    `websocket {`,
    `  listen: "127.0.0.1:${wsPort}"`,
    `  no_tls: true`,
    `}`,
  ];
  if (maxPayload !== undefined) lines.push(`max_payload: ${maxPayload}`);
  return lines.join("\n") + "\n";
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

async function attempt(bin: string, workDir: string, opts: NatsServerOptions): Promise<NatsServerHandle> {
  const port = await freePort();
  let wsPort = await freePort();
  while (wsPort === port) wsPort = await freePort();
  const confPath = join(workDir, `nats-${port}.conf`);
  await writeFile(confPath, configText(port, wsPort, join(workDir, `js-${port}`), opts.maxPayload));

  const child = spawn(bin, ["-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  installExitHook();
  // The server logs to stderr; keep the tail for error messages and keep draining the pipes so
  // a chatty server never blocks on a full pipe.
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

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot run ${bin}: ${spawnError.message}`);
    if (exited) {
      throw new StartFailure(
        `nats-server exited (${exited.code ?? exited.signal}) before accepting connections:\n${log}`,
        /address already in use/i.test(log),
      );
    }
    // "Server is ready" proves the listeners belong to this server and not to a process that
    // grabbed a probed port first; the connects prove both (TCP and WebSocket) accept already.
    if (/Server is ready/.test(log) && (await canConnect(port)) && (await canConnect(wsPort))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartFailure(`nats-server did not accept connections on ${port}/${wsPort} within 15s:\n${log}`, false);
    }
    await sleep(25);
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    port,
    wsPort,
    stop,
  };
}

/** Start a nats-server on free loopback ports; rejects with the server's log if it cannot start. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  const workDir = await mkdtemp(join(tmpdir(), "natsbridge-nats-"));
  for (let tries = 1; ; tries++) {
    try {
      const handle = await attempt(bin, workDir, opts);
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
