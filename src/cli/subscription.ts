/**
 * The loop `listen` and `reply` share: subscribe, say so on stderr, hand each message to `handle`
 * until --count messages were handled or a signal arrives, then drain. A message that fails is
 * reported and the loop goes on: one bad peer must not stop a listener. The exit code is that of
 * the last failure (0 when none failed).
 */
import type { Msg, NatsConnection } from "nats";
import { NatsBridgeError } from "../node.js";
import { reportError } from "./exit.js";
import { printable } from "./printable.js";
import { stopSignal } from "./stop-signal.js";

export interface LoopFlags {
  count?: number;
  queue?: string;
  server: string;
}

export async function eachMessage(nc: NatsConnection, subject: string, flags: LoopFlags, verb: string, handle: (msg: Msg) => Promise<void>): Promise<number> {
  const sub = nc.subscribe(subject, flags.queue ? { queue: flags.queue } : {});
  await nc.flush();
  let exit = 0;
  let handled = 0;
  let signalled = false;
  void stopSignal().then(() => {
    signalled = true;
    sub.unsubscribe();
  });
  // Said once the server has the subscription and Ctrl-C is handled: from here on nothing is missed.
  process.stderr.write(`${verb} on ${printable(subject)} at ${printable(flags.server)}${flags.count ? ` for ${flags.count} message(s)` : ""} (Ctrl-C to stop)\n`);
  for await (const msg of sub) {
    try {
      await handle(msg);
    } catch (e) {
      exit = reportError(e, (s) => process.stderr.write(s));
    }
    if (flags.count !== undefined && ++handled >= flags.count) break;
  }
  if (nc.isClosed()) {
    // Neither --count nor a signal ended the loop: the server went away.
    if (signalled) return exit;
    throw new NatsBridgeError("NATS_CONNECTION_FAILED", `lost the connection to ${flags.server} after ${handled} message(s)`, { details: { broker_url: flags.server } });
  }
  await nc.drain();
  return exit;
}
