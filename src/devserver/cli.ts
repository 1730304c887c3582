/**
 * Run the development file server from a shell:
 *   npx tsx src/devserver/cli.ts --port 8080 --host 127.0.0.1 [--dir ./files] [--max-upload-bytes N]
 *     [--max-uploads N] [--cors-origin http://localhost:5173 ...]
 * Prints the base URL (the `fileserver_url` to give natsbridge) and serves until SIGINT/SIGTERM.
 */
import { cliArgs, type CliArgs } from "./cli-args.js";
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOADS, startFileServer } from "./server.js";

const usage = `Usage: tsx src/devserver/cli.ts [--port N] [--host H] [--dir PATH] [--max-upload-bytes N]
                                  [--max-uploads N] [--cors-origin ORIGIN]...

A development Plik-compatible file server for natsbridge's link transport.
  --port N              TCP port (default 0: any free port)
  --host H              interface to bind (default 127.0.0.1)
  --dir PATH            storage directory (default: a temporary directory removed on exit)
  --max-upload-bytes N  reject files larger than N bytes with 413 (default ${DEFAULT_MAX_UPLOAD_BYTES}, 100 MiB)
  --max-uploads N       hold at most N uploads at once, 507 beyond (default ${DEFAULT_MAX_UPLOADS})
  --cors-origin ORIGIN  let browser pages from ORIGIN (e.g. http://localhost:5173) upload and
                        download; repeat for more. Default: no browser origin is allowed`;

const cli: CliArgs = cliArgs(usage);
const fail: CliArgs["fail"] = cli.fail;
const intOption = cli.intOption;

const args = cli.parse({
  port: { type: "string", short: "p" },
  host: { type: "string" },
  dir: { type: "string" },
  "max-upload-bytes": { type: "string" },
  "max-uploads": { type: "string" },
  "cors-origin": { type: "string", multiple: true },
});

let server;
try {
  server = await startFileServer({
    host: args.host,
    port: intOption("port", args.port),
    dir: args.dir,
    maxUploadBytes: intOption("max-upload-bytes", args["max-upload-bytes"]),
    maxUploads: intOption("max-uploads", args["max-uploads"]),
    cors: args["cors-origin"] ? { origins: args["cors-origin"] } : undefined,
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
process.stdout.write(`natsbridge dev file server listening on ${server.url} (files in ${server.dir})\n`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1); // a second Ctrl-C does not wait for cleanup
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
