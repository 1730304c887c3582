import type { Command } from "commander";
import { smartsend } from "../../node.js";
import { addConnectionOptions, addFileServerOptions, openConnection } from "../connection.js";
import { addEnvelopeOptions, sendOptions, type EnvelopeFlags } from "../envelope-options.js";
import { payloadsFromArgs } from "../payload-arg.js";
import { PAYLOAD_HELP } from "./payload-help.js";

interface SendFlags extends EnvelopeFlags {
  replyTo?: string;
  json?: boolean;
}

export function sendCommand(program: Command): void {
  const cmd = program
    .command("send")
    .summary("send payloads to a subject")
    .description("Send one envelope with the given payloads to <subject> and print its msg_id.")
    .argument("<subject>", "NATS subject")
    .argument("<payloads...>", "name=@json | name=file | name=text, each optionally :type")
    .option("--reply-to <subject>", "the envelope's reply_to (where a responder should answer)")
    .option("--json", "print the whole envelope as JSON instead of its msg_id")
    .addHelpText("after", PAYLOAD_HELP);
  addEnvelopeOptions(addFileServerOptions(addConnectionOptions(cmd))).action(async (subject: string, args: string[], flags: SendFlags) => {
    const data = await payloadsFromArgs(args);
    const nc = await openConnection(flags);
    const { options, progress } = sendOptions(flags);
    let sent;
    try {
      sent = await smartsend(subject, data, { ...options, nats_connection: nc, ...(flags.replyTo ? { reply_to: flags.replyTo } : {}) });
    } finally {
      progress.stop();
      await nc.drain();
    }
    process.stdout.write(flags.json ? `${sent[1]}\n` : `${sent[0].msg_id}\n`);
  });
}
