import { Option, type Command } from "commander";
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOADS, startFileServer } from "../../fileserver.js";
import { nonNegativeInt } from "../numbers.js";
import { stopSignal } from "../stop-signal.js";

interface FileServerFlags {
  host: string;
  port: number;
  dir?: string;
  maxUploadBytes: number;
  maxUploads: number;
  corsOrigin: string[];
}

export function fileserverCommand(program: Command): void {
  program
    .command("fileserver")
    .summary("run the development file server")
    .description(
      "Run natsbridge's development file server (the subset of Plik's HTTP API the link transport uses) until Ctrl-C. " +
        "Prints its URL: give it to senders as --fileserver or FILESERVER_URL.",
    )
    .option("--host <host>", "interface to bind (loopback unless you mean otherwise)", "127.0.0.1")
    .addOption(new Option("-p, --port <n>", "TCP port (0: any free port)").default(8080).argParser(nonNegativeInt("--port")))
    .option("--dir <path>", "where files are kept (default: a temporary directory removed on exit)")
    .addOption(new Option("--max-upload-bytes <n>", "refuse larger files with HTTP 413").default(DEFAULT_MAX_UPLOAD_BYTES).argParser(nonNegativeInt("--max-upload-bytes")))
    .addOption(new Option("--max-uploads <n>", "hold at most <n> uploads at once, HTTP 507 beyond").default(DEFAULT_MAX_UPLOADS).argParser(nonNegativeInt("--max-uploads")))
    .addOption(
      new Option("--cors-origin <origin...>", "let browser pages from <origin> (e.g. http://localhost:5173) upload and download; default: none").default([]),
    )
    .action(async (flags: FileServerFlags) => {
      const server = await startFileServer({
        host: flags.host,
        port: flags.port,
        dir: flags.dir,
        maxUploadBytes: flags.maxUploadBytes,
        maxUploads: flags.maxUploads,
        cors: { origins: flags.corsOrigin },
      });
      process.stdout.write(`natsbridge dev file server listening on ${server.url} (files in ${server.dir})\n`);
      await stopSignal();
      await server.close();
    });
}
