import { NatsBridgeError } from "./errors.js";
import { parseJson } from "./json.js";

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
  /** placeholder string → the base64 text it replaced (not yet validated) */
  bulk: Map<string, string>;
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

export function parseJsonText(text: string, plain = false): BulkParse {
  const bulk = new Map<string, string>();
  if (plain || text.length < MIN_BULK) return { value: parse(text), bulk };
  // The \u0000 escape keeps the placeholder out of reach of any string a peer could send.
  const tag = `\\u0000natsbridge-bulk-${Math.random().toString(36).slice(2)}-`;
  let cut = "";
  let from = 0;
  for (let i = text.indexOf(KEY); i >= 0; i = text.indexOf(KEY, i + 1)) {
    const start = i + KEY.length;
    const end = text.indexOf('"', start);
    if (end < 0) break;
    if (end - start >= MIN_BULK && text.lastIndexOf("\\", end) < start) {
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

/** True when every placeholder stands exactly where it belongs: one direct payload's data. */
export function bulkOnlyInDirectData(payloads: ReadonlyArray<{ transport: string; data: string }>, bulk: Map<string, string>): boolean {
  let found = 0;
  for (const p of payloads) if (p.transport === "direct" && bulk.has(p.data)) found++;
  return found === bulk.size;
}
