/**
 * Text from a message (datanames, previews, error messages) may be an attack on the terminal:
 * escape sequences that move the cursor, rewrite earlier lines or set the window title, and
 * bidirectional overrides that reorder what is shown. Everything a peer chose is printed through here.
 */
// C0 and C1 controls, DEL, and the bidi embedding/override/isolate characters.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string, keepNewlines = false): string {
  return s.replace(UNSAFE, (c) => {
    if (keepNewlines && c === "\n") return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
