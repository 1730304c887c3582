/**
 * File names as they travel: percent-encoded in download URLs, WHATWG-escaped or RFC 5987-encoded
 * in a multipart part's Content-Disposition.
 */

/** Decode one percent-encoded string (a URL path segment); a malformed escape gives undefined, never a throw. */
export function percentDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

// The WHATWG multipart/form-data encoding (browsers, undici's fetch) writes `"`, CR and LF in a
// filename as %22, %0D, %0A because the header value is a quoted string with no escape syntax.
export function whatwgUnescape(s: string): string {
  return s.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
}

/** The file name of a form-data part: RFC 5987 `filename*` when given, else the WHATWG-escaped `filename`. */
export function partFileName(params: Record<string, string>): string | undefined {
  const ext = params["filename*"];
  if (ext !== undefined) {
    const m = /^([^']*)'[^']*'(.*)$/.exec(ext);
    if (m && /^utf-8$/i.test(m[1])) {
      const decoded = percentDecode(m[2]);
      if (decoded !== undefined) return decoded;
    }
  }
  const plain = params["filename"];
  return plain === undefined ? undefined : whatwgUnescape(plain);
}

/**
 * Whether the name in a download URL names the stored file. A name with `"`, CR or LF arrives
 * WHATWG-escaped in the multipart header, so the escaped spelling is accepted too.
 */
export function nameMatches(stored: string, requested: string): boolean {
  return requested === stored || whatwgUnescape(requested) === stored;
}
