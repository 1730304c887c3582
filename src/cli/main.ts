#!/usr/bin/env node
/**
 * `natsbridge`: the library from a shell. Built by tsup into dist/cli.js (the package's `bin`).
 * Commands live in ./commands; exit codes and messages in ./exit.ts.
 */
import { Command } from "commander";
import pkg from "../../package.json";
import { fileserverCommand } from "./commands/fileserver.js";
import { listenCommand } from "./commands/listen.js";
import { replyCommand } from "./commands/reply.js";
import { requestCommand } from "./commands/request.js";
import { sendCommand } from "./commands/send.js";
import { EXIT_CODES_HELP, reportError } from "./exit.js";

function program(): Command {
  const p = new Command("natsbridge")
    .description("Send and receive NATSBridge envelopes (TypeScript, Julia, Python and MicroPython peers) over NATS.")
    .version(pkg.version)
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      `
Environment: NATS_URL, FILESERVER_URL and SIZE_THRESHOLD are the defaults of --server, --fileserver and --size-threshold.

${EXIT_CODES_HELP}`,
    );
  for (const add of [sendCommand, listenCommand, requestCommand, replyCommand, fileserverCommand]) add(p);
  // Usage errors, --help and --version come back here as exceptions, so every exit goes through one place.
  p.exitOverride();
  for (const c of p.commands) c.exitOverride().showHelpAfterError("(add --help for usage)");
  return p;
}

/** Exit once stdout has flushed: a pipe reader must get every line before the process goes. */
function exit(code: number): void {
  process.stdout.write("", () => process.exit(code));
}

program()
  .parseAsync(process.argv)
  .then(
    () => exit(typeof process.exitCode === "number" ? process.exitCode : 0),
    (e: unknown) => exit(reportError(e, (s) => process.stderr.write(s))),
  );
