/**
 * Exit codes and messages a person can act on: the error's code, its message, and a hint.
 * The codes are part of the CLI's interface (README, `natsbridge --help`).
 */
import { CommanderError } from "commander";
import { isNatsBridgeError, type ErrorCode } from "../node.js";
import { printable } from "./printable.js";
import { UsageError } from "./usage-error.js";

export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  NATS: 3,
  FILESERVER: 4,
  TIMEOUT: 5,
  NO_RESPONDERS: 6,
  REMOTE_ERROR: 7,
  BAD_MESSAGE: 8,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success                        5  REQUEST_TIMEOUT: no answer in time
  1  other failure                  6  NO_RESPONDERS: nobody subscribes to the subject
  2  bad arguments                  7  REMOTE_ERROR: the responder answered with an error
  3  NATS_CONNECTION_FAILED         8  a received message is not a valid envelope
  4  UPLOAD_FAILED / DOWNLOAD_FAILED / INTEGRITY_ERROR`;

const byCode: Partial<Record<ErrorCode, { exit: number; hint: string }>> = {
  NATS_CONNECTION_FAILED: {
    exit: EXIT.NATS,
    hint: "is nats-server running there? Set --server or NATS_URL; for a secured server add --creds, --user/--password, --token or --tls-ca",
  },
  UPLOAD_FAILED: { exit: EXIT.FILESERVER, hint: "is the file server running? Set --fileserver or FILESERVER_URL (`natsbridge fileserver` starts one)" },
  DOWNLOAD_FAILED: { exit: EXIT.FILESERVER, hint: "the link may have expired or been one-shot and already fetched, or the file server is unreachable" },
  INTEGRITY_ERROR: { exit: EXIT.FILESERVER, hint: "the file server returned other bytes than the sender uploaded (its SHA-256 differs)" },
  INTERNAL_ERROR: { exit: EXIT.FAILED, hint: "this is a bug in natsbridge; please report it with the message above" },
  REQUEST_TIMEOUT: { exit: EXIT.TIMEOUT, hint: "the responder did not answer in time; raise --timeout or check that it is running" },
  NO_RESPONDERS: { exit: EXIT.NO_RESPONDERS, hint: "start a responder first (e.g. `natsbridge reply <subject> …`) or check the subject name" },
  REMOTE_ERROR: { exit: EXIT.REMOTE_ERROR, hint: "the responder reported this error; its details are above" },
  INVALID_ENVELOPE: { exit: EXIT.BAD_MESSAGE, hint: "the message is not a NATSBridge envelope" },
  DESERIALIZATION_ERROR: { exit: EXIT.BAD_MESSAGE, hint: "a payload does not decode as its payload_type says" },
  INVALID_TRANSPORT: { exit: EXIT.BAD_MESSAGE, hint: "a payload's transport is neither direct nor link" },
  INVALID_OPTIONS: { exit: EXIT.USAGE, hint: "see --help" },
  INVALID_PAYLOAD_TYPE: { exit: EXIT.USAGE, hint: "payload types: text, dictionary, jsontable, arrowtable, image, audio, video, binary" },
  SERIALIZATION_ERROR: { exit: EXIT.USAGE, hint: "the value does not fit its payload type; pick another :type" },
  ENVELOPE_TOO_LARGE: { exit: EXIT.FAILED, hint: "lower --size-threshold so more payloads go by link, or raise the server's max_payload" },
};

/** Report `e` on stderr and return the exit code for it. */
export function reportError(e: unknown, write: (s: string) => void): number {
  if (e instanceof CommanderError) {
    // commander has printed its message (and the help hint) already.
    return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  if (e instanceof UsageError) {
    write(`natsbridge: ${printable(e.message)}\n  (see --help)\n`);
    return EXIT.USAGE;
  }
  if (isNatsBridgeError(e)) {
    const known = byCode[e.code];
    const lines = [`natsbridge: ${e.code}: ${printable(e.message)}`];
    const remote = e.code === "REMOTE_ERROR" ? (e.details?.remote as { details?: unknown } | undefined) : undefined;
    if (remote?.details !== undefined && Object.keys(remote.details as object).length > 0) {
      lines.push(`  details: ${printable(JSON.stringify(remote.details, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))}`);
    }
    if (e.correlation_id) lines.push(`  correlation_id: ${printable(e.correlation_id)}`);
    if (known) lines.push(`  hint: ${known.hint}`);
    write(lines.join("\n") + "\n");
    return known?.exit ?? EXIT.FAILED;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT" || err?.code === "EACCES" || err?.code === "EEXIST" || err?.code === "ENOTDIR") {
    write(`natsbridge: ${printable(err.message)}\n`);
    return EXIT.FAILED;
  }
  write(`natsbridge: unexpected error: ${printable(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return EXIT.FAILED;
}
