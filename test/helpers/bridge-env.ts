/** Per-file fixture: a real nats-server and the dev file server, plus a raw nats.js client. */
import { connect, type NatsConnection, type Msg } from "nats";
import { startNatsServer, type NatsServerHandle, type NatsServerOptions } from "./nats-server.js";
import { startFileServer, type FileServer } from "../../src/fileserver.js";
import { close as closeBridge } from "../../src/node.js";

export interface BridgeEnv {
  nats: NatsServerHandle;
  files: FileServer;
  nc: NatsConnection;
  stop(): Promise<void>;
}

export async function startBridgeEnv(opts: NatsServerOptions = {}): Promise<BridgeEnv> {
  const nats = await startNatsServer(opts);
  const files = await startFileServer();
  const nc = await connect({ servers: nats.url });
  return {
    nats,
    files,
    nc,
    async stop() {
      await closeBridge();
      await nc.close();
      await files.close();
      await nats.stop();
    },
  };
}

/** Subscribe first, then act: resolves with the next message on `subject` or rejects after `ms`. */
export function nextMessage(nc: NatsConnection, subject: string, ms = 10_000): Promise<Msg> {
  const sub = nc.subscribe(subject, { max: 1 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`no message on ${subject} within ${ms} ms`));
    }, ms);
    (async () => {
      for await (const m of sub) {
        clearTimeout(timer);
        resolve(m);
        return;
      }
    })().catch(reject);
  });
}

/** Resolves true if anything arrives on `subject` within `ms`, false otherwise. */
export async function anythingArrives(nc: NatsConnection, subject: string, ms = 500): Promise<boolean> {
  try {
    await nextMessage(nc, subject, ms);
    return true;
  } catch {
    return false;
  }
}

/** Deterministic test bytes; the same generator the browser e2e page uses (helpers/xorshift.ts). */
export { xorshiftBytes as randomBytes } from "./xorshift.js";

let counter = 0;
export const uniqueSubject = (prefix = "t") => `${prefix}.${process.pid}.${Date.now()}.${counter++}`;

/** Subscribe and make sure the server has the subscription before anything is published elsewhere. */
export async function listen(nc: NatsConnection, subject: string, ms = 10_000): Promise<{ next: Promise<Msg> }> {
  const next = nextMessage(nc, subject, ms);
  next.catch(() => undefined);
  await nc.flush();
  return { next };
}

/** Collects every message on `subject` until stopped; for proving that nothing was published. */
export async function collect(nc: NatsConnection, subject: string): Promise<{ messages: Msg[]; stop(): void }> {
  const messages: Msg[] = [];
  const sub = nc.subscribe(subject, { callback: (_e, m) => messages.push(m) });
  await nc.flush();
  return { messages, stop: () => sub.unsubscribe() };
}

/** Byte equality without vitest's element-by-element deep diff, which takes seconds on megabytes. */
export function expectSameBytes(got: unknown, want: Uint8Array): void {
  if (!(got instanceof Uint8Array)) throw new Error(`expected a Uint8Array, got ${Object.prototype.toString.call(got)}`);
  if (got.byteLength !== want.byteLength) throw new Error(`expected ${want.byteLength} bytes, got ${got.byteLength}`);
  if (!Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))) {
    throw new Error("bytes differ");
  }
}
