/**
 * Start a real `nats-server` for a test file: TCP and WebSocket listeners on free loopback ports,
 * JetStream in a temporary store, all removed again by `stop()`.
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { firstExecutable, freePort, launchServer, onPath, startInTempDir } from "./server-process.js";

export interface NatsServerOptions {
  /** Server `max_payload` in bytes; natsbridge reads it from INFO to decide what fits in one message. */
  maxPayload?: number;
  /** Run the newest nats-server found (by `--version`) rather than the first; the JetStream tests want it. */
  newest?: boolean;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:PORT`, for the `nats` (TCP) client. */
  url: string;
  /** `ws://127.0.0.1:WSPORT`, for `nats.ws`. */
  wsUrl: string;
  port: number;
  wsPort: number;
  /** The binary this server runs (see findNewestNatsServer). */
  bin: string;
  stop(): Promise<void>;
  /** Stop the process (SIGTERM) and start it again on the same ports and JetStream store. */
  restart(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const candidates = () => [
  process.env.NATS_SERVER_BIN,
  ...onPath("nats-server"),
  "/usr/sbin/nats-server",
  "/usr/local/bin/nats-server",
  join(repoRoot, ".tools", "bin", "nats-server"),
];

/** Same search order as scripts/ensure-tools.mjs, which installs into the last place looked. */
export function findNatsServer(): string {
  const found = firstExecutable(candidates());
  if (found) return found;
  throw new Error(
    "nats-server not found (looked on PATH, /usr/sbin, /usr/local/bin and .tools/bin). " +
      "Run `node scripts/ensure-tools.mjs` to install it, or set NATS_SERVER_BIN.",
  );
}

/** `nats-server --version` as numbers ("nats-server: v2.15.2" → [2, 15, 2]); [] when it cannot say. */
export function natsServerVersion(bin: string): number[] {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const m = /v(\d+)\.(\d+)\.(\d+)/.exec(`${r.stdout ?? ""}${r.stderr ?? ""}`);
  return m ? m.slice(1).map(Number) : [];
}

const newer = (a: number[], b: number[]) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) > (b[i] ?? -1);
  return false;
};

let newest: string | undefined;
/**
 * NATS_SERVER_BIN when set, else the newest of every nats-server found: scripts/ensure-tools.mjs
 * builds the pinned current release into .tools/bin next to the distro's older one (Debian 12:
 * 2.9.10), and the JetStream and cluster tests should run against the current server.
 */
export function findNewestNatsServer(): string {
  if (process.env.NATS_SERVER_BIN) return findNatsServer();
  if (newest) return newest;
  let best: { bin: string; v: number[] } | undefined;
  for (const c of new Set(candidates())) {
    if (!c || firstExecutable([c]) === undefined) continue;
    const v = natsServerVersion(c);
    if (!best || newer(v, best.v)) best = { bin: c, v };
  }
  return (newest = best?.bin ?? findNatsServer());
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

/** "Server is ready" plus a connect: the listener belongs to this server, not to one that took the port first. */
export const natsReady = (...ports: number[]) => async (log: string) => {
  if (!/Server is ready/.test(log)) return false;
  for (const p of ports) if (!(await canConnect(p))) return false;
  return true;
};

async function attempt(bin: string, workDir: string, opts: NatsServerOptions): Promise<NatsServerHandle> {
  const port = await freePort();
  let wsPort = await freePort();
  while (wsPort === port) wsPort = await freePort();
  const confPath = join(workDir, `nats-${port}.conf`);
  await writeFile(confPath, configText(port, wsPort, join(workDir, `js-${port}`), opts.maxPayload));

  const launch = () =>
    launchServer({
      name: "nats-server",
      bin,
      args: ["-c", confPath],
      // "Server is ready" (the server logs to stderr) proves the listeners belong to this server and
      // not to a process that grabbed a probed port first; the connects prove both (TCP and
      // WebSocket) accept already.
      ready: natsReady(port, wsPort),
      pollMs: 25,
      timeoutMs: 15_000,
      exitedBefore: "accepting connections",
      didNot: `accept connections on ${port}/${wsPort}`,
    });
  let proc = await launch();

  return {
    url: `nats://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    port,
    wsPort,
    bin,
    stop: () => proc.stop(),
    restart: async () => {
      await proc.stop();
      proc = await launch();
    },
  };
}

/** Start a nats-server on free loopback ports; rejects with the server's log if it cannot start. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = opts.newest ? findNewestNatsServer() : findNatsServer();
  return startInTempDir("natsbridge-nats-", (workDir) => attempt(bin, workDir, opts));
}
