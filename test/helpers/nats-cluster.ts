/**
 * A 3-node nats-server cluster for a test file: routes between every node, JetStream on each (own
 * store in a temporary directory), all on free loopback ports; the newest nats-server found runs it.
 * `ready` waits until JetStream answers on every node (a meta leader is elected), so a test can
 * create R3 streams at once. `stop()` removes everything.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { findNewestNatsServer, natsReady } from "./nats-server.js";
import { freePort, launchServer, startInTempDir, StartFailure } from "./server-process.js";

export interface ClusterNode {
  name: string;
  /** `nats://127.0.0.1:PORT` of this node alone. */
  url: string;
  port: number;
  /** SIGKILL: a crash, no leader hand-off. */
  kill(): Promise<void>;
  /** Start a stopped or killed node again, same ports and store. */
  start(): Promise<void>;
  readonly running: boolean;
}

export interface NatsClusterHandle {
  nodes: ClusterNode[];
  /** Every node's URL, for a client that may use any of them. */
  urls: string[];
  bin: string;
  stop(): Promise<void>;
}

export const CLUSTER_SIZE = 3;

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function configText(name: string, port: number, routePort: number, routePorts: number[], storeDir: string): string {
  // JSON string literals are valid quoted strings in the NATS config format.
  return [
    `server_name: ${name}`,
    `listen: "127.0.0.1:${port}"`,
    `jetstream {`,
    `  store_dir: ${JSON.stringify(storeDir)}`,
    `}`,
    `cluster {`,
    `  name: natsbridge`,
    `  listen: "127.0.0.1:${routePort}"`,
    `  routes: [${routePorts.map((p) => JSON.stringify(`nats-route://127.0.0.1:${p}`)).join(", ")}]`,
    `}`,
  ].join("\n") + "\n";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until JetStream answers through `url` (a meta leader exists), within `budgetMs`. */
export async function waitForJetStream(urls: string | string[], budgetMs = 60_000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let last: unknown;
  while (Date.now() < deadline) {
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: urls, timeout: 2000 });
      const jsm = await nc.jetstreamManager({ timeout: 2000 });
      await jsm.getAccountInfo();
      return;
    } catch (e) {
      last = e;
      await sleep(200);
    } finally {
      await nc?.close().catch(() => undefined);
    }
  }
  throw new Error(`JetStream did not answer on ${urls} within ${budgetMs} ms: ${(last as Error)?.message ?? last}`);
}

async function attempt(bin: string, workDir: string): Promise<NatsClusterHandle> {
  const ports = await distinctFreePorts(CLUSTER_SIZE * 2);
  const clientPorts = ports.slice(0, CLUSTER_SIZE);
  const routePorts = ports.slice(CLUSTER_SIZE);
  const procs: ({ stop(): Promise<void>; kill(): Promise<void> } | undefined)[] = [];

  const nodes: ClusterNode[] = clientPorts.map((port, i) => {
    const name = `n${i + 1}`;
    const confPath = join(workDir, `${name}.conf`);
    const start = async () => {
      if (procs[i]) return;
      procs[i] = await launchServer({
        name: `nats-server ${name}`,
        bin,
        args: ["-c", confPath],
        ready: natsReady(port),
        pollMs: 50,
        timeoutMs: 30_000,
        exitedBefore: "accepting connections",
        didNot: `accept connections on ${port}`,
      });
    };
    return {
      name,
      url: `nats://127.0.0.1:${port}`,
      port,
      start,
      kill: async () => {
        const p = procs[i];
        procs[i] = undefined;
        await p?.kill();
      },
      get running() {
        return procs[i] !== undefined;
      },
    };
  });
  const stopAll = () => Promise.all(procs.map((p, i) => (procs[i] = undefined, p?.stop()))).then(() => undefined);

  try {
    for (const [i, n] of nodes.entries()) {
      await writeFile(join(workDir, `${n.name}.conf`), configText(n.name, n.port, routePorts[i]!, routePorts.filter((_, j) => j !== i), join(workDir, `js-${n.name}`)));
    }
    // Side by side: a node waits for its routes' peers before JetStream can elect a meta leader.
    await Promise.all(nodes.map((n) => n.start()));
    await Promise.all(nodes.map((n) => waitForJetStream(n.url)));
  } catch (e) {
    await stopAll();
    throw e instanceof StartFailure ? e : new StartFailure(String((e as Error)?.message ?? e), false);
  }
  return { nodes, urls: nodes.map((n) => n.url), bin, stop: stopAll };
}

/** Start a 3-node JetStream cluster on loopback; rejects with a node's log if it cannot start. */
export async function startNatsCluster(): Promise<NatsClusterHandle> {
  const bin = findNewestNatsServer();
  return startInTempDir("natsbridge-cluster-", (workDir) => attempt(bin, workDir));
}
