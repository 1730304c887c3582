/**
 * JSON with exact integers. Python and Julia peers send integers of any size; JSON.parse would
 * round 9007199254740993 to ...992 without a word, so unsafe integers come back as bigint, and a
 * bigint given to us goes out as a plain integer literal.
 */

// Strings are matched first so digits inside them are never touched.
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g;
// Placeholders for exact integers carry a fresh random tag each time, so no string in the data can
// pass for one.
const freshMark = () => `\u0000natsbridge-bigint-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}:`;

export function parseJson(text: string): unknown {
  const value = JSON.parse(text);
  // Rounding only ever produces integer-valued doubles beyond 2^53, so a value without one cannot
  // have lost anything; only then is the (slower) exact pass needed.
  return hasUnsafeInteger(value) ? parseExact(text) : value;
}

function hasUnsafeInteger(v: unknown): boolean {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (hasUnsafeInteger(x)) return true;
    return false;
  }
  for (const k in v) if (hasUnsafeInteger((v as Record<string, unknown>)[k])) return true;
  return false;
}

function parseExact(text: string): unknown {
  const MARK = freshMark();
  let unsafe = false;
  const marked = text.replace(TOKENS, (tok) => {
    if (tok[0] === '"' || Number.isSafeInteger(Number(tok))) return tok;
    unsafe = true;
    return JSON.stringify(MARK + tok);
  });
  if (!unsafe) return JSON.parse(text);
  return JSON.parse(marked, (_k, v) => (typeof v === "string" && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v));
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
