/**
 * Validation shared by every runtime: Node's Buffer and atob silently skip characters that are
 * not base64, which would turn a corrupted payload into wrong bytes instead of an error.
 */
const STRICT = /^[A-Za-z0-9+/]*={0,2}$/;
const HAS_WHITESPACE = /[\t\n\r ]/;
const WHITESPACE = /[\t\n\r ]/g;

/** Returns canonical padded base64, or null when `text` is not standard base64. */
export function normalizeBase64(text: string): string | null {
  // MicroPython's binascii.b2a_base64 ends with "\n"; PEM-style wrapping adds more.
  const s = HAS_WHITESPACE.test(text) ? text.replace(WHITESPACE, "") : text;
  if (!STRICT.test(s)) return null;
  const pad = s.length % 4;
  if (pad === 1) return null;
  const eq = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  if (eq > 0) return pad === 0 ? s : null;
  return pad === 0 ? s : s + "=".repeat(4 - pad);
}

/** Exact decoded length of canonical padded base64. */
export function base64DecodedLength(canonical: string): number {
  const eq = canonical.endsWith("==") ? 2 : canonical.endsWith("=") ? 1 : 0;
  return (canonical.length / 4) * 3 - eq;
}
