/**
 * JSON with exact integers. Python and Julia peers send integers of any size; JSON.parse would
 * round 9007199254740993 to ...992 without a word, so unsafe integers come back as bigint, and a
 * bigint given to us goes out as a plain integer literal.
 */

// Strings are matched first so digits inside them are never touched.
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g;
const MARK = "\u0000natsbridge-bigint:";

export function parseJson(text: string): unknown {
  let unsafe = false;
  if (/\d{16,}/.test(text)) {
    text = text.replace(TOKENS, (tok) => {
      if (tok[0] === '"') return tok;
      if (Number.isSafeInteger(Number(tok))) return tok;
      unsafe = true;
      return JSON.stringify(MARK + tok);
    });
  }
  if (!unsafe) return JSON.parse(text);
  return JSON.parse(text, (_k, v) => (typeof v === "string" && v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v));
}

export function stringifyJson(value: unknown): string {
  let big = false;
  const out = JSON.stringify(value, (_k, v) => {
    if (typeof v !== "bigint") return v;
    big = true;
    return MARK + v.toString();
  });
  if (out === undefined) throw new TypeError("value is not representable as JSON");
  if (!big) return out;
  // JSON.stringify escapes U+0000 as \u0000, which no user string can produce unescaped.
  return out.replace(/"\\u0000natsbridge-bigint:(-?\d+)"/g, "$1");
}
