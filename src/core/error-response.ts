/**
 * The seeds' error-response envelope (shared/seeds/001, "Error Response Format"): an envelope
 * with a top-level `error: { code, message, details }` beside the usual fields. natsbridge sends
 * it as a normal envelope (every field, `payloads: []`) with `error` as the last member, and reads
 * the `error` member from the raw JSON itself, so the seeds' short form (correlation_id, msg_id,
 * timestamp, send_to, error — no payloads) is recognised too.
 */
import { NatsBridgeError } from "./errors.js";
import { parseJson, stringifyJson } from "./json.js";

/** What travels in `error`. `code` is the responder's own (natsbridge's codes, or any string). */
export interface RemoteError {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** What smartreply accepts as an error: a NatsBridgeError, any Error, or the member spelled out. */
export type ReplyError = Error | { code: string; message?: string; details?: Record<string, unknown> };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ERROR_KEY = [0x65, 0x72, 0x72, 0x6f, 0x72, QUOTE]; // error"

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Could this JSON text have a member named "error"? A key is spelled out letter by letter unless
 * a peer escaped a letter (`\u0065rror`), so without the spelled-out key and without any backslash
 * it cannot. Direct payloads are base64 (no quotes, no backslashes), so a reply carrying megabytes
 * is ruled out by two native byte searches instead of a second JSON parse.
 */
function mayHaveErrorMember(bytes: Uint8Array): boolean {
  if (bytes.indexOf(BACKSLASH) >= 0) return true;
  for (let at = bytes.indexOf(QUOTE); at >= 0; at = bytes.indexOf(QUOTE, at + 1)) {
    let i = 0;
    while (i < ERROR_KEY.length && bytes[at + 1 + i] === ERROR_KEY[i]) i++;
    if (i === ERROR_KEY.length) return true;
  }
  return false;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The `error` member of an envelope's raw bytes, or undefined when there is none (`null` counts as
 * none, like the other fields received as `null`). Text that is not JSON is left to smartreceive,
 * which reports it with its own code. A malformed member is INVALID_ENVELOPE: an answer that says
 * it failed must never pass for a success.
 */
export function readErrorResponse(bytes: Uint8Array): RemoteError | undefined {
  if (!mayHaveErrorMember(bytes)) return undefined;
  let env: unknown;
  try {
    env = parseJson(strictUtf8.decode(bytes));
  } catch {
    return undefined;
  }
  if (!isRecord(env) || !Object.hasOwn(env, "error") || env.error === null) return undefined;
  const e = env.error;
  if (!isRecord(e) || typeof e.code !== "string" || e.code === "") {
    throw new NatsBridgeError("INVALID_ENVELOPE", "error-response envelope: `error` must be an object with a non-empty string `code`");
  }
  if (e.message != null && typeof e.message !== "string") throw new NatsBridgeError("INVALID_ENVELOPE", "error-response envelope: `error.message` must be a string");
  if (e.details != null && !isRecord(e.details)) throw new NatsBridgeError("INVALID_ENVELOPE", "error-response envelope: `error.details` must be an object");
  return { code: e.code, message: (e.message as string | null) ?? "", details: (e.details as Record<string, unknown> | null) ?? {} };
}

/** The `error` member for what a responder caught or built. */
export function remoteErrorOf(error: ReplyError): RemoteError {
  if (error instanceof NatsBridgeError) {
    // The seeds' example carries the correlation id in details too.
    const details = { ...error.details };
    if (error.correlation_id !== undefined && details.correlation_id === undefined) details.correlation_id = error.correlation_id;
    return { code: error.code, message: error.message, details };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === "string" && code !== "" ? code : "RESPONDER_ERROR", message: error.message, details: {} };
  }
  if (!isRecord(error) || typeof error.code !== "string" || error.code === "") {
    throw new NatsBridgeError("INVALID_OPTIONS", "smartreply: an error answer needs a non-empty string `code` (or pass an Error)");
  }
  if (error.message != null && typeof error.message !== "string") throw new NatsBridgeError("INVALID_OPTIONS", "smartreply: error.message must be a string");
  if (error.details != null && !isRecord(error.details)) throw new NatsBridgeError("INVALID_OPTIONS", "smartreply: error.details must be an object");
  return { code: error.code, message: error.message ?? "", details: error.details ?? {} };
}

/** `,"error":{…}` as JSON text, ready to go before an envelope's closing brace. */
export function errorMemberJson(error: RemoteError): string {
  try {
    return `,"error":${stringifyJson(error)}`;
  } catch (e) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", `error details are not JSON-serializable: ${(e as Error).message}`, { cause: e });
  }
}

/** The envelope bytes with `member` inserted before the closing `}` (the envelope is compact JSON). */
export function appendMember(envelope: Uint8Array, member: Uint8Array): Uint8Array {
  const end = envelope.byteLength - 1;
  if (envelope[end] !== 0x7d) throw new NatsBridgeError("SERIALIZATION_ERROR", "envelope bytes do not end with }");
  const out = new Uint8Array(envelope.byteLength + member.byteLength);
  out.set(envelope.subarray(0, end));
  out.set(member, end);
  out[out.byteLength - 1] = 0x7d;
  return out;
}
