import { decodeBase64Exact, decodeBase64Lenient } from "./base64/strict.js";
import { NatsBridgeError } from "./errors.js";
import { parseJson } from "./json.js";
import { JsonTooDeepError } from "./json-walk.js";

/**
 * Parsing an envelope without running megabytes of base64 through JSON.parse.
 *
 * A direct payload's data is one long JSON string of base64 characters: JSON.parse would scan and
 * copy all of it only for us to decode it again. Here each long `"data":"…"` string value without
 * escapes is cut out of the text before parsing (string slices share memory, so the cut copies
 * nothing) and replaced by a short placeholder; the caller gets the text back through `bulk`.
 * Why this is exact: in valid JSON the characters `"data":"` are always a key `data` (or a key
 * ending in an escaped `"data`) followed by the opening quote of a string value, and without a
 * backslash in it that value ends at the next `"`. A placeholder that lands anywhere but a direct
 * payload's `data` is caught by the caller, which then parses the plain way.
 */

const KEY = '"data":"';
/** Below this, cutting costs more than it saves. */
const MIN_BULK = 16 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export interface BulkParse {
  value: unknown;
  /**
   * placeholder string → what it replaced: the base64 text (not yet validated), or, when cut
   * from the message bytes, the already decoded payload bytes.
   */
  bulk: Map<string, string | Uint8Array>;
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
    if (e instanceof JsonTooDeepError) throw new NatsBridgeError("INVALID_ENVELOPE", `message ${e.message}`, { cause: e });
    throw new NatsBridgeError("INVALID_ENVELOPE", `message is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

export function parseJsonText(text: string, plain = false): BulkParse {
  const bulk = new Map<string, string | Uint8Array>();
  if (plain || text.length < MIN_BULK) return { value: parse(text), bulk };
  // The \u0000 escape keeps the placeholder out of reach of any string a peer could send.
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let cut = "";
  let from = 0;
  // Every search moves forward only, so the whole cut reads the text about once: looking back for
  // a backslash from each run's end (lastIndexOf) read everything before it again, and 1,000
  // payloads of 40 KB took seconds.
  let backslash = text.indexOf("\\"); // the first at or after the current run's start; -1: none left
  for (let i = text.indexOf(KEY); i >= 0; i = text.indexOf(KEY, i + 1)) {
    const start = i + KEY.length;
    const end = text.indexOf('"', start);
    if (end < 0) break;
    if (backslash >= 0 && backslash < start) backslash = text.indexOf("\\", start);
    if (end - start >= MIN_BULK && !(backslash >= 0 && backslash < end)) {
      const placeholder = `${tag}${bulk.size}`;
      cut += text.slice(from, start) + placeholder;
      bulk.set(JSON.parse(`"${placeholder}"`) as string, text.slice(start, end));
      from = end;
    }
    i = end;
  }
  if (bulk.size === 0) return { value: parse(text), bulk };
  return { value: parse(cut + text.slice(from)), bulk };
}

// RFC 8259 §7: U+0000 to U+001F must be escaped inside a string; raw, they make the text invalid JSON.
const CONTROL_CHAR = /[\u0000-\u001f]/;

/**
 * The bytes of a run cut out by parseJsonText. The run is raw JSON string text, so the rule is the
 * one JSON.parse applies to a message too short to be cut: a raw control character (TAB, CR and LF
 * included) means the message is not JSON (INVALID_ENVELOPE), while whitespace written as a JSON
 * escape never reaches here (runs with a backslash are not cut) and is ignored by the base64 rule.
 * The check runs only when the exact decode fails, so valid payloads pay nothing for it.
 */
export function decodeBulkRun(run: string, decode: (canonical: string) => Uint8Array): Uint8Array | null {
  const exact = decodeBase64Exact(run, decode);
  if (exact) return exact;
  const bad = CONTROL_CHAR.exec(run);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new NatsBridgeError("INVALID_ENVELOPE", `message is not valid JSON: raw control character U+${code} inside a string`);
  }
  return decodeBase64Lenient(run, decode);
}

/** True when every placeholder stands exactly where it belongs: one direct payload's data. */
export function bulkOnlyInDirectData(payloads: ReadonlyArray<{ transport: string; data: string }>, bulk: Map<string, unknown>): boolean {
  let found = 0;
  for (const p of payloads) if (p.transport === "direct" && bulk.has(p.data)) found++;
  return found === bulk.size;
}

const KEY_BYTES = [0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3a, 0x22]; // "data":"
const QUOTE = 0x22;

/**
 * The same cut made on the message bytes, with each long run decoded straight from bytes to bytes
 * (the WebAssembly codec): the payload never exists as a JS string. Returns null whenever it
 * cannot be sure (no codec, nothing long, a run that is not strict base64 — escapes, whitespace,
 * bad characters) and the text path then decides, with its exact error messages.
 */
export function parseJsonBytes(
  bytes: Uint8Array,
  decodeBase64: ((ascii: Uint8Array) => Uint8Array | null) | null,
  indexOfByte: (b: Uint8Array, byte: number, from: number) => number,
): BulkParse | null {
  if (!decodeBase64 || bytes.byteLength < MIN_BULK) return null;
  const bulk = new Map<string, string | Uint8Array>();
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let text = "";
  let from = 0;
  for (let i = indexOfByte(bytes, QUOTE, 0); i >= 0; i = indexOfByte(bytes, QUOTE, i + 1)) {
    let k = 1;
    while (k < KEY_BYTES.length && bytes[i + k] === KEY_BYTES[k]) k++;
    if (k < KEY_BYTES.length) continue;
    const start = i + KEY_BYTES.length;
    const end = indexOfByte(bytes, QUOTE, start);
    if (end < 0) return null;
    if (end - start >= MIN_BULK) {
      const decoded = decodeBase64(bytes.subarray(start, end));
      if (!decoded) return null;
      const placeholder = `${tag}${bulk.size}`;
      text += decodeText(bytes.subarray(from, start)) + placeholder;
      bulk.set(JSON.parse(`"${placeholder}"`) as string, decoded);
      from = end;
    }
    i = end;
  }
  if (bulk.size === 0) return null;
  return { value: parse(text + decodeText(bytes.subarray(from))), bulk };
}
