/**
 * The NATS connection and file-server settings every command shares: flags, with the seeds'
 * environment variable names (NATS_URL, FILESERVER_URL, SIZE_THRESHOLD) as their defaults.
 * The CLI opens its own connection (credentials, TLS) and hands it to the library as
 * `nats_connection`; the library's own cache connects by URL only.
 */
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "nats";
import { DEFAULT_BROKER_URL, DEFAULT_FILESERVER_URL, DEFAULT_SIZE_THRESHOLD, NatsBridgeError } from "../node.js";
import { nonNegativeInt } from "./numbers.js";

export interface ConnectionFlags {
  server: string;
  fileserver: string;
  creds?: string;
  user?: string;
  password?: string;
  token?: string;
  tlsCa?: string;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-s, --server <url>", "NATS server URL").env("NATS_URL").default(DEFAULT_BROKER_URL))
    .addOption(new Option("--creds <file>", "NATS credentials file (JWT + NKey seed)"))
    .addOption(new Option("--user <name>", "NATS user name"))
    .addOption(new Option("--password <password>", "NATS password"))
    .addOption(new Option("--token <token>", "NATS authentication token"))
    .addOption(new Option("--tls-ca <file>", "CA certificate (PEM) that signed the NATS server's TLS certificate"));
}

export function addFileServerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("-f, --fileserver <url>", "file server (Plik protocol) for payloads sent by link").env("FILESERVER_URL").default(DEFAULT_FILESERVER_URL))
    .addOption(
      new Option("--size-threshold <bytes>", "payloads of at least this many serialized bytes go by link")
        .env("SIZE_THRESHOLD")
        .default(DEFAULT_SIZE_THRESHOLD)
        .argParser(nonNegativeInt("--size-threshold")),
    );
}

export interface ReceiveFlags {
  fileserver: string;
  allowOrigin?: string[];
}

/**
 * Where received links may be downloaded from: the file server (--fileserver / FILESERVER_URL) and
 * any --allow-origin. The library refuses other origins, so a message cannot make the CLI fetch
 * arbitrary URLs (docs/security.md).
 */
export function addReceiveOptions(cmd: Command, withFileServer: boolean): Command {
  if (withFileServer) {
    cmd.addOption(new Option("-f, --fileserver <url>", "file server that received links point to").env("FILESERVER_URL").default(DEFAULT_FILESERVER_URL));
  }
  return cmd.addOption(new Option("--allow-origin <origin...>", "more origins (https://files.example.com) links may be downloaded from"));
}

export const receiveOptions = (flags: ReceiveFlags) => ({
  fileserver_url: flags.fileserver,
  ...(flags.allowOrigin ? { allowed_origins: flags.allowOrigin } : {}),
});

/** Connect with the flags' credentials; every failure is NATS_CONNECTION_FAILED, as in the library. */
export async function openConnection(flags: ConnectionFlags): Promise<NatsConnection> {
  const opts: ConnectionOptions = { servers: flags.server, name: "natsbridge-cli", maxReconnectAttempts: 0, reconnect: false };
  if (flags.user !== undefined) opts.user = flags.user;
  if (flags.password !== undefined) opts.pass = flags.password;
  if (flags.token !== undefined) opts.token = flags.token;
  try {
    if (flags.creds !== undefined) opts.authenticator = credsAuthenticator(await readFile(flags.creds));
    if (flags.tlsCa !== undefined) opts.tls = { caFile: flags.tlsCa };
    return await connect(opts);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new NatsBridgeError("NATS_CONNECTION_FAILED", `cannot connect to NATS at ${flags.server}: ${why}`, { cause: e, details: { broker_url: flags.server } });
  }
}
