/**
 * JSON with exact integers. Python and Julia peers send integers of any size; JSON.parse would
 * round 9007199254740993 to ...992 without a word, so unsafe integers come back as bigint, and a
 * bigint given to us goes out as a plain integer literal.
 */

import { parsedHasUnsafeInteger } from "./json-walk.js";

// Placeholders for exact integers carry a fresh random tag each time, so no string in the data can
// pass for one.
const freshMark = () => `\u0000natsbridge-bigint-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}:`;

/**
 * JSON.parse, with integers beyond 2^53 as bigint. Throws JsonTooDeepError (json-walk.ts) for
 * nesting beyond MAX_JSON_DEPTH, and JSON.parse's SyntaxError for text that is not JSON.
 */
export function parseJson(text: string): unknown {
  const value = JSON.parse(text);
  // Rounding only ever produces integer-valued doubles beyond 2^53, so a value without one cannot
  // have lost anything; only then is the (slower) exact pass needed. The walk also enforces the
  // depth limit, so it runs to the end even after a hit.
  return parsedHasUnsafeInteger(value) ? parseExact(text, value) : value;
}

/** `value` (JSON.parse of `text`) again, with its unsafe integer literals read exactly. */
function parseExact(text: string, value: unknown): unknown {
  const MARK = freshMark();
  const marked = markUnsafeIntegers(text, MARK);
  // Only non-integer literals (1e300) rounded to integer values: nothing to redo.
  if (marked === null) return value;
  // The reviver defines each result as an own data property (ECMA-262 JSON.parse, InternalizeJSONProperty
  // uses CreateDataProperty), so a "__proto__" key stays a key here too.
  return JSON.parse(marked, (_k, v) => (typeof v === "string" && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const INTEGER = /^-?\d+$/;
/** Characters a JSON number token is made of (RFC 8259 §6). */
const isNumberChar = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS;
/** A shorter literal than 9007199254740992 (16 digits) is always a safe integer. */
const MIN_UNSAFE_DIGITS = 16;

/**
 * `text` (already accepted by JSON.parse) with every integer literal beyond 2^53 turned into a
 * marked string, or null when there is none. One forward pass, strings skipped with indexOf: a
 * regular expression matching strings backtracked once per character and overflowed its stack on
 * an 8 MiB string.
 */
function markUnsafeIntegers(text: string, mark: string): string | null {
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i) + 1;
    } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < text.length && isNumberChar(text.charCodeAt(j))) j++;
      const tok = text.slice(i, j);
      if (j - i >= MIN_UNSAFE_DIGITS && INTEGER.test(tok) && !Number.isSafeInteger(Number(tok))) {
        parts.push(text.slice(from, i), JSON.stringify(mark + tok));
        from = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  if (parts.length === 0) return null;
  parts.push(text.slice(from));
  return parts.join("");
}

/**
 * Index of the quote closing the string opened at `open`. A quote is escaped when an odd number
 * of backslashes precedes it; each run of backslashes is counted once, so the scan stays linear.
 */
function closingQuote(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q < 0) return text.length; // unreachable for text JSON.parse accepted
    let b = q - 1;
    while (b > open && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

export function stringifyJson(value: unknown): string {
  let out: string | undefined;
  try {
    out = JSON.stringify(value);
  } catch (e) {
    // Only a bigint (or a cycle, which fails below too) makes plain JSON.stringify throw; the
    // replacer pass costs a callback per value, so it is kept off the common path.
    if (!(e instanceof TypeError) || !/BigInt/i.test(e.message)) throw e;
    return stringifyWithBigInts(value);
  }
  if (out === undefined) throw new TypeError("value is not representable as JSON");
  return out;
}

function stringifyWithBigInts(value: unknown): string {
  const MARK = freshMark();
  const out = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? MARK + v.toString() : v));
  // JSON.stringify writes U+0000 as the six characters \u0000.
  const escaped = JSON.stringify(MARK).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return out.replace(new RegExp(`"${escaped}(-?\\d+)"`, "g"), "$1");
}
