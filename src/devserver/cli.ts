/**
 * Run the development file server from a shell:
 *   npx tsx src/devserver/cli.ts --port 8080 --host 127.0.0.1 [--dir ./files] [--max-upload-bytes N]
 * Prints the base URL (the `fileserver_url` to give natsbridge) and serves until SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { startFileServer } from "./server.js";

const usage = `Usage: tsx src/devserver/cli.ts [--port N] [--host H] [--dir PATH] [--max-upload-bytes N]

A development Plik-compatible file server for natsbridge's link transport.
  --port N              TCP port (default 0: any free port)
  --host H              interface to bind (default 127.0.0.1)
  --dir PATH            storage directory (default: a temporary directory removed on exit)
  --max-upload-bytes N  reject files larger than N bytes with 413`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      dir: { type: "string" },
      "max-upload-bytes": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const server = await startFileServer({
  host: args.host,
  port: intOption("port", args.port),
  dir: args.dir,
  maxUploadBytes: intOption("max-upload-bytes", args["max-upload-bytes"]),
});
process.stdout.write(`natsbridge dev file server listening on ${server.url} (files in ${server.dir})\n`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1); // a second Ctrl-C does not wait for cleanup
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
