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

/**
 * Strict decode on top of a runtime decoder: the exact fast path, else the careful path, which
 * accepts only ASCII whitespace as extra.
 */
export function decodeBase64Strict(text: string, decode: (canonical: string) => Uint8Array): Uint8Array | null {
  return decodeBase64Exact(text, decode) ?? decodeBase64Lenient(text, decode);
}

/**
 * The fast path alone. Decoders such as Node's Buffer skip characters that are not base64 (so the
 * output comes out short) and read the URL-safe `-_` too; a decode of the expected length without
 * `-`/`_` in the input proves the text was standard base64 with nothing extra. Null otherwise.
 */
export function decodeBase64Exact(text: string, decode: (canonical: string) => Uint8Array): Uint8Array | null {
  const n = text.length;
  const eq = text.charCodeAt(n - 1) === 61 ? (text.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  if (n % 4 !== 1 && text.indexOf("-") < 0 && text.indexOf("_") < 0) {
    try {
      const out = decode(text);
      if (out.byteLength === Math.floor(((n - eq) * 3) / 4) && (eq === 0 || n % 4 === 0)) return out;
    } catch {
      // not exact: the caller decides
    }
  }
  return null;
}

/** The careful path: standard base64 once ASCII whitespace is taken out (normalizeBase64), or null. */
export function decodeBase64Lenient(text: string, decode: (canonical: string) => Uint8Array): Uint8Array | null {
  const canonical = normalizeBase64(text);
  return canonical === null ? null : decode(canonical);
}
