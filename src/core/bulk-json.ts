import { NatsBridgeError } from "./errors.js";
import { parseJson } from "./json.js";

/**
 * Parsing an envelope without running megabytes of base64 through JSON.parse.
 *
 * A direct payload's data is one long JSON string of base64 characters: JSON.parse would scan and
 * copy all of it only for us to decode it again. Here each long `"data":"…"` string value without
 * escapes is cut out of the bytes before parsing and replaced by a short placeholder; the caller
 * gets the bytes back through `bulk`. Why this is exact: in valid JSON the byte sequence
 * `"data":"` is always a key `data` (or a key ending in an escaped `"data`) followed by the opening
 * quote of a string value, and without a backslash in it that value ends at the next `"`. A
 * placeholder that lands anywhere but a payload's `data` is caught by the caller, which then parses
 * the plain way.
 */

const KEY = [0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3a, 0x22]; // "data":"
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Below this, cutting costs more than it saves. */
const MIN_BULK = 16 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface BulkParse {
  value: unknown;
  /** placeholder string → the raw (ASCII, unvalidated) bytes of the string it replaced */
  bulk: Map<string, Uint8Array>;
}

export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (e) {
    throw new NatsBridgeError("INVALID_ENVELOPE", "message is not UTF-8 text", { cause: e });
  }
}

function parse(text: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new NatsBridgeError("INVALID_ENVELOPE", `message is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

export function parseJsonBytes(bytes: Uint8Array, plain = false): BulkParse {
  const bulk = new Map<string, Uint8Array>();
  if (plain || bytes.byteLength < MIN_BULK) return { value: parse(decodeText(bytes)), bulk };
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let text = "";
  let from = 0;
  for (let i = bytes.indexOf(QUOTE); i >= 0; i = bytes.indexOf(QUOTE, i + 1)) {
    if (!KEY.every((b, k) => bytes[i + k] === b)) continue;
    const start = i + KEY.length;
    const end = bytes.indexOf(QUOTE, start);
    if (end < 0) break;
    const run = bytes.subarray(start, end);
    if (run.byteLength >= MIN_BULK && run.indexOf(BACKSLASH) < 0) {
      const placeholder = `${tag}${bulk.size}`;
      text += decodeText(bytes.subarray(from, start)) + placeholder;
      bulk.set(JSON.parse(`"${placeholder}"`) as string, run);
      from = end;
    }
    i = end;
  }
  if (bulk.size === 0) return { value: parse(decodeText(bytes)), bulk };
  text += decodeText(bytes.subarray(from));
  return { value: parse(text), bulk };
}

/** True when every placeholder stands exactly where it belongs: one direct payload's data. */
export function bulkOnlyInDirectData(payloads: ReadonlyArray<{ transport: string; data: string }>, bulk: Map<string, Uint8Array>): boolean {
  let found = 0;
  for (const p of payloads) if (p.transport === "direct" && bulk.has(p.data)) found++;
  return found === bulk.size;
}
