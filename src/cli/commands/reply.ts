import type { Command } from "commander";
import type { Msg } from "nats";
import { NatsBridgeError, smartreceive, smartreply, type ReceivedEnvelope, type SendTuple } from "../../node.js";
import { addConnectionOptions, addFileServerOptions, addReceiveOptions, openConnection, receiveOptions, type ReceiveFlags } from "../connection.js";
import { addEnvelopeOptions, sendOptions, type EnvelopeFlags } from "../envelope-options.js";
import { payloadsFromArgs } from "../payload-arg.js";
import { printable } from "../printable.js";
import { prepareSave, showEnvelope, streamWhenSaving, type ShowFlags } from "../show.js";
import { eachMessage, type LoopFlags } from "../subscription.js";
import { UsageError } from "../usage-error.js";
import { addLoopOptions, addShowOptions } from "./listen.js";
import { PAYLOAD_HELP } from "./payload-help.js";

interface ReplyFlags extends EnvelopeFlags, ReceiveFlags, ShowFlags, LoopFlags {
  echo?: boolean;
  error?: string;
  message?: string;
}

/** The request's addressing fields from its raw JSON, for answering a request that could not be decoded. */
function addressOf(raw: Uint8Array): Pick<ReceivedEnvelope, "reply_to" | "msg_id" | "correlation_id"> | undefined {
  try {
    const env = JSON.parse(new TextDecoder().decode(raw));
    const { reply_to, msg_id, correlation_id } = env ?? {};
    if (typeof reply_to === "string" && reply_to !== "" && typeof msg_id === "string" && typeof correlation_id === "string") return { reply_to, msg_id, correlation_id };
  } catch {
    // not JSON: nobody to answer
  }
  return undefined;
}

export function replyCommand(program: Command): void {
  const cmd = program
    .command("reply")
    .summary("answer requests on a subject")
    .description(
      "Answer every request on <subject> on its reply_to (same correlation_id, reply_to_msg_id = the request's msg_id) " +
        "with the given payloads, the request's own payloads (--echo), or an error-response envelope (--error). " +
        "Prints each request like `listen`. A request that cannot be decoded is answered with its error.",
    )
    .argument("<subject>", "NATS subject")
    .argument("[payloads...]", "the answer: name=@json | name=file | name=text, each optionally :type")
    .option("--echo", "answer with the request's own payloads")
    .option("--error <code>", "answer with an error-response envelope carrying this code")
    .option("--message <text>", "the error's message (with --error)", "")
    .addHelpText("after", PAYLOAD_HELP);
  addLoopOptions(addShowOptions(addReceiveOptions(addEnvelopeOptions(addFileServerOptions(addConnectionOptions(cmd))), false))).action(async (subject: string, args: string[], flags: ReplyFlags) => {
    if ([flags.echo, flags.error !== undefined, args.length > 0].filter(Boolean).length > 1) {
      throw new UsageError("give the answer one way: payloads, --echo or --error");
    }
    const answer: SendTuple[] = await payloadsFromArgs(args);
    await prepareSave(flags);
    const nc = await openConnection(flags);
    const { options, progress } = sendOptions(flags);
    // smartreply sets correlation_id and reply_to_msg_id from each request.
    const send = { ...options, nats_connection: nc };
    try {
      process.exitCode = await eachMessage(nc, subject, flags, "answering", async (msg: Msg) => {
        let req: ReceivedEnvelope;
        try {
          // --echo sends the request's payloads on, so they are kept in memory rather than streamed to files.
          req = await smartreceive(msg, { ...receiveOptions(flags), ...(flags.echo ? {} : streamWhenSaving(flags)) });
        } catch (e) {
          const address = addressOf(msg.data);
          if (address && e instanceof NatsBridgeError) await smartreply(address, e, send);
          throw e;
        }
        await showEnvelope(req, msg.data, msg.subject, flags);
        if (!req.reply_to) {
          process.stderr.write(`natsbridge: request ${printable(req.msg_id)} has no reply_to; not answered\n`);
          return;
        }
        if (flags.error !== undefined) await smartreply(req, { code: flags.error, message: flags.message ?? "" }, send);
        else await smartreply(req, flags.echo ? (req.payloads as unknown as SendTuple[]) : answer, send);
      });
    } finally {
      progress.stop();
    }
  });
}
