/** Sends one read_sensor command as a request and prints the answer (see responder.ts). */
import { smartrequest, close } from "../src/node.js";
import { COMMAND_SUBJECT } from "./responder.js";

const broker_url = process.env.NATS_URL ?? "nats://localhost:4222";
// reply_to is a fresh inbox; NO_RESPONDERS / REQUEST_TIMEOUT / REMOTE_ERROR are the failures to expect.
const reply = await smartrequest(COMMAND_SUBJECT, [["command", { action: "read_sensor" }, "dictionary"]], { broker_url, timeout_ms: 5000 });
console.log(`reply to ${reply.reply_to_msg_id}:`, reply.payloads);
await close();
