import { Option, type Command } from "commander";
import type { NatsConnection, SubscriptionOptions } from "nats";
import { DEFAULT_REQUEST_TIMEOUT_MS, smartrequest } from "../../node.js";
import { addConnectionOptions, addFileServerOptions, addReceiveOptions, openConnection, receiveOptions, type ReceiveFlags } from "../connection.js";
import { addEnvelopeOptions, sendOptions, type EnvelopeFlags } from "../envelope-options.js";
import { positiveSeconds } from "../numbers.js";
import { payloadsFromArgs } from "../payload-arg.js";
import { prepareSave, showEnvelope, streamWhenSaving, type ShowFlags } from "../show.js";
import { addShowOptions } from "./listen.js";
import { PAYLOAD_HELP } from "./payload-help.js";

/**
 * `nc` for smartrequest, keeping the answer's bytes: smartrequest returns decoded values, and the
 * printout also shows how each payload travelled (transport, size), which only the raw envelope says.
 */
function keepingReplyBytes(nc: NatsConnection) {
  let bytes: Uint8Array = new Uint8Array(0);
  const conn = {
    publish: nc.publish.bind(nc),
    flush: () => nc.flush(),
    get info() {
      return nc.info;
    },
    subscribe: (subject: string, opts: SubscriptionOptions) =>
      nc.subscribe(subject, {
        ...opts,
        callback: (err, msg) => {
          if (msg) bytes = msg.data;
          opts.callback!(err, msg);
        },
      }),
  };
  return { conn, bytes: () => bytes };
}

interface RequestFlags extends EnvelopeFlags, ReceiveFlags, ShowFlags {
  timeout: number;
}

export function requestCommand(program: Command): void {
  const cmd = program
    .command("request")
    .summary("send a request and print the answer")
    .description(
      "Send an envelope with reply_to set to a fresh inbox and print the answer like `listen` does. " +
        "Fails with NO_RESPONDERS when nobody subscribes to <subject>, REQUEST_TIMEOUT when nobody answers, " +
        "REMOTE_ERROR when the responder answers with an error.",
    )
    .argument("<subject>", "NATS subject")
    .argument("[payloads...]", "name=@json | name=file | name=text, each optionally :type")
    .addOption(new Option("-t, --timeout <seconds>", "how long to wait for the answer").default(DEFAULT_REQUEST_TIMEOUT_MS / 1000).argParser(positiveSeconds("--timeout")))
    .addHelpText("after", PAYLOAD_HELP);
  addShowOptions(addReceiveOptions(addEnvelopeOptions(addFileServerOptions(addConnectionOptions(cmd))), false)).action(async (subject: string, args: string[], flags: RequestFlags) => {
    const data = await payloadsFromArgs(args);
    await prepareSave(flags);
    const nc = await openConnection(flags);
    const { options, progress } = sendOptions(flags);
    const inbox = keepingReplyBytes(nc);
    let reply;
    try {
      reply = await smartrequest(subject, data, { ...options, ...receiveOptions(flags), ...streamWhenSaving(flags), nats_connection: inbox.conn, timeout_ms: Math.round(flags.timeout * 1000) });
    } finally {
      progress.stop();
      await nc.drain();
    }
    await showEnvelope(reply, inbox.bytes(), reply.send_to, flags);
  });
}
