import { Option, type Command } from "commander";
import { smartreceive } from "../../node.js";
import { addConnectionOptions, addReceiveOptions, openConnection, receiveOptions, type ConnectionFlags, type ReceiveFlags } from "../connection.js";
import { nonNegativeInt } from "../numbers.js";
import { describeFailure, prepareSave, showEnvelope, streamWhenSaving, type ShowFlags } from "../show.js";
import { eachMessage, type LoopFlags } from "../subscription.js";

interface ListenFlags extends ConnectionFlags, ReceiveFlags, ShowFlags, LoopFlags {}

export function addShowOptions(cmd: Command): Command {
  return cmd
    .option("--save <dir>", "write every payload to a file in <dir> (never overwriting)")
    .option("--json", "one JSON object per envelope instead of text lines");
}

export function addLoopOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-n, --count <n>", "stop after <n> messages").argParser(nonNegativeInt("--count")))
    .option("--queue <group>", "share the subject with the other members of a queue group");
}

export function listenCommand(program: Command): void {
  const cmd = program
    .command("listen")
    .summary("print (and save) every envelope on a subject")
    .description(
      "Receive every envelope on <subject> from any peer (TypeScript, Julia, Python, MicroPython) and print one line per " +
        "payload: name, type, transport, size and a short preview. Runs until Ctrl-C or --count.",
    )
    .argument("<subject>", "NATS subject (wildcards allowed)");
  addLoopOptions(addShowOptions(addReceiveOptions(addConnectionOptions(cmd), true))).action(async (subject: string, flags: ListenFlags) => {
    await prepareSave(flags);
    const nc = await openConnection(flags);
    process.exitCode = await eachMessage(nc, subject, flags, "listening", async (msg) => {
      let env;
      try {
        env = await smartreceive(msg, { ...receiveOptions(flags), ...streamWhenSaving(flags) });
      } catch (e) {
        // Machine readers see failures in the same stream as envelopes; people see them on stderr.
        if (flags.json) process.stdout.write(describeFailure(msg.subject, e));
        throw e;
      }
      await showEnvelope(env, msg.data, msg.subject, flags);
    });
  });
}
