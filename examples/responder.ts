/**
 * Request/response with reply_to (the seeds' Example 4), as a reusable responder.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx tsx examples/responder.ts     # answer forever
 *   NATS_URL=nats://127.0.0.1:4222 npx tsx examples/requester.ts     # ask once
 *
 * Any peer (Julia, Python, MicroPython) can be the requester: the responder answers on the
 * envelope's reply_to and sets reply_to_msg_id to the request's msg_id (smartreply does both).
 */
import { connect, type NatsConnection, type Subscription } from "nats";
import { smartreceive, smartreply, NatsBridgeError } from "../src/node.js";

export const COMMAND_SUBJECT = "device.command";

export function startResponder(nc: NatsConnection, subject = COMMAND_SUBJECT): Subscription {
  const sub = nc.subscribe(subject);
  (async () => {
    for await (const msg of sub) {
      try {
        const req = await smartreceive(msg);
        if (!req.reply_to) continue;
        for (const [dataname, data] of req.payloads) {
          if (dataname !== "command" || (data as { action?: string })?.action !== "read_sensor") continue;
          // On req.reply_to, with its correlation_id and reply_to_msg_id = its msg_id.
          await smartreply(req, [["data", { sensor_id: "sensor-001", value: 42.5 }, "dictionary"]], {
            nats_connection: nc,
            msg_purpose: "ACK",
            sender_name: "sensor-responder",
          });
        }
      } catch (e) {
        // A malformed request must not stop the responder; its code says what was wrong.
        if (!(e instanceof NatsBridgeError)) throw e;
      }
    }
  })();
  return sub;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const nc = await connect({ servers: process.env.NATS_URL ?? "nats://localhost:4222" });
  startResponder(nc);
  console.log(`answering read_sensor commands on ${COMMAND_SUBJECT}; Ctrl-C to stop`);
}
