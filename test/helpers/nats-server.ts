/**
 * Start a real `nats-server` for a test file: TCP and WebSocket listeners on free loopback ports,
 * JetStream in a temporary store, all removed again by `stop()`.
 */
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { firstExecutable, freePort, launchServer, onPath, startInTempDir } from "./server-process.js";

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

/** Same search order as scripts/ensure-tools.mjs, which installs into the last place looked. */
export function findNatsServer(): string {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...onPath("nats-server"),
    "/usr/sbin/nats-server",
    "/usr/local/bin/nats-server",
    join(repoRoot, ".tools", "bin", "nats-server"),
  ];
  const found = firstExecutable(candidates);
  if (found) return found;
  throw new Error(
    "nats-server not found (looked on PATH, /usr/sbin, /usr/local/bin and .tools/bin). " +
      "Run `node scripts/ensure-tools.mjs` to install it, or set NATS_SERVER_BIN.",
  );
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

async function attempt(bin: string, workDir: string, opts: NatsServerOptions): Promise<NatsServerHandle> {
  const port = await freePort();
  let wsPort = await freePort();
  while (wsPort === port) wsPort = await freePort();
  const confPath = join(workDir, `nats-${port}.conf`);
  await writeFile(confPath, configText(port, wsPort, join(workDir, `js-${port}`), opts.maxPayload));

  const { stop } = await launchServer({
    name: "nats-server",
    bin,
    args: ["-c", confPath],
    // "Server is ready" (the server logs to stderr) proves the listeners belong to this server and
    // not to a process that grabbed a probed port first; the connects prove both (TCP and
    // WebSocket) accept already.
    ready: async (log) => /Server is ready/.test(log) && (await canConnect(port)) && (await canConnect(wsPort)),
    pollMs: 25,
    timeoutMs: 15_000,
    exitedBefore: "accepting connections",
    didNot: `accept connections on ${port}/${wsPort}`,
  });

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
  return startInTempDir("natsbridge-nats-", (workDir) => attempt(bin, workDir, opts));
}
