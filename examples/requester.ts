/** Sends one read_sensor command with reply_to and prints the reply (see responder.ts). */
import { connect } from "nats";
import { smartreceive, smartsend, close } from "../src/node.js";
import { COMMAND_SUBJECT } from "./responder.js";

const broker_url = process.env.NATS_URL ?? "nats://localhost:4222";
const nc = await connect({ servers: broker_url });
const inbox = `device.response.${Date.now()}`;
const sub = nc.subscribe(inbox, { max: 1, timeout: 5000 });
await nc.flush();
const [req] = await smartsend(COMMAND_SUBJECT, [["command", { action: "read_sensor" }, "dictionary"]], { broker_url, reply_to: inbox });
for await (const msg of sub) {
  const reply = await smartreceive(msg);
  console.log(`reply to ${req.msg_id}:`, reply.reply_to_msg_id === req.msg_id ? "matched" : "MISMATCH", reply.payloads);
}
await nc.close();
await close();
