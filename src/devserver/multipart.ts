/**
 * Streaming multipart/form-data parser (RFC 2046 §5.1.1, RFC 7578) for the dev file server's
 * `POST /file/{uploadId}`: body bytes pass through untouched and memory does not grow with the
 * part size.
 */

export class MultipartError extends Error {}

export interface MultipartHandlers {
  /** Header names are lower-cased; values are decoded as UTF-8 (what browsers and undici send). */
  onPartBegin(headers: Record<string, string>): void;
  onPartData(data: Buffer): void;
  onPartEnd(): void;
}

const MpState = { Preamble: 0, AfterBoundary: 1, Headers: 2, Body: 3, Done: 4 } as const;
type MpState = (typeof MpState)[keyof typeof MpState];

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/**
 * Incremental parser: feed it chunks as they arrive; a delimiter may be split anywhere across
 * chunks. Body bytes are passed through untouched (byte-exact) and only the few bytes that could
 * be the start of a delimiter are held back, so memory use does not grow with the part size.
 */
export class MultipartParser {
  /** `CRLF--boundary`: RFC 2046 makes the CRLF before a boundary part of the delimiter, not the body. */
  private readonly delimiter: Buffer;
  private state: MpState = MpState.Preamble;
  // Treating the stream as if it began with CRLF lets the first boundary (which has no CRLF
  // before it when there is no preamble) be found with the same delimiter as all the others.
  private buf: Buffer = Buffer.from(CRLF);
  /** In the Headers state: where in `buf` the search for the blank line resumes. */
  private headerScanFrom = 0;

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
    private readonly maxHeaderBytes = 16 * 1024,
  ) {
    // RFC 2046: a boundary is 1..70 characters.
    if (boundary.length < 1 || boundary.length > 70) throw new MultipartError("invalid multipart boundary");
    this.delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
  }

  get done(): boolean {
    return this.state === MpState.Done;
  }

  write(chunk: Buffer): void {
    if (this.state === MpState.Done) return; // the epilogue carries no data
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.run();
  }

  /** Call when the request body ended; a body that stops before the close delimiter is truncated. */
  end(): void {
    if (this.state !== MpState.Done) throw new MultipartError("multipart body ended before its closing boundary");
  }

  private run(): void {
    for (;;) {
      switch (this.state) {
        case MpState.Preamble: {
          const i = this.buf.indexOf(this.delimiter);
          if (i < 0) {
            // The preamble is discarded; keep only what could be the start of a delimiter.
            this.keepTail();
            return;
          }
          this.buf = this.buf.subarray(i + this.delimiter.length);
          this.state = MpState.AfterBoundary;
          break;
        }
        case MpState.AfterBoundary: {
          // After a boundary: `--` closes the body; otherwise optional transport padding
          // (spaces/tabs, RFC 2046) and CRLF, then the next part's headers.
          let p = 0;
          while (p < this.buf.length && (this.buf[p] === 0x20 || this.buf[p] === 0x09)) p++;
          if (p > 1024) throw new MultipartError("malformed multipart boundary line");
          if (this.buf.length - p < 2) return;
          if (p === 0 && this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
            this.state = MpState.Done;
            this.buf = Buffer.alloc(0);
            return;
          }
          if (this.buf[p] !== 0x0d || this.buf[p + 1] !== 0x0a) throw new MultipartError("malformed multipart boundary line");
          this.buf = this.buf.subarray(p + 2);
          this.state = MpState.Headers;
          break;
        }
        case MpState.Headers: {
          let headerBlock: Buffer;
          if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
            // A part with no header lines: its blank line follows the boundary line directly.
            headerBlock = Buffer.alloc(0);
            this.buf = this.buf.subarray(2);
          } else {
            // Resume the search where the last chunk's ended (minus a split CRLFCRLF), so headers
            // trickling in byte by byte are not rescanned from the start each time.
            const i = this.buf.indexOf(HEADER_END, this.headerScanFrom);
            // The limit holds however the headers were chunked: a whole oversized block in one
            // chunk is refused like one that is still growing (whose last 3 bytes may yet turn
            // out to be the start of the blank line).
            const atLeast = i < 0 ? this.buf.length - (HEADER_END.length - 1) : i;
            if (atLeast > this.maxHeaderBytes) throw new MultipartError("multipart part headers too large");
            if (i < 0) {
              this.headerScanFrom = Math.max(0, atLeast);
              return;
            }
            headerBlock = this.buf.subarray(0, i);
            this.buf = this.buf.subarray(i + HEADER_END.length);
            this.headerScanFrom = 0;
          }
          this.handlers.onPartBegin(parsePartHeaders(headerBlock));
          this.state = MpState.Body;
          break;
        }
        case MpState.Body: {
          const i = this.buf.indexOf(this.delimiter);
          if (i < 0) {
            const keep = Math.min(this.buf.length, this.delimiter.length - 1);
            const emit = this.buf.length - keep;
            if (emit > 0) this.handlers.onPartData(this.buf.subarray(0, emit));
            this.buf = this.buf.subarray(emit);
            return;
          }
          if (i > 0) this.handlers.onPartData(this.buf.subarray(0, i));
          this.handlers.onPartEnd();
          this.buf = this.buf.subarray(i + this.delimiter.length);
          this.state = MpState.AfterBoundary;
          break;
        }
        case MpState.Done:
          return;
      }
    }
  }

  private keepTail(): void {
    const keep = Math.min(this.buf.length, this.delimiter.length - 1);
    this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
  }
}

// Header and parameter maps have no prototype: a part may name a header `__proto__` or
// `constructor`, and it must come out as a plain own entry like any other.
function parsePartHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  let last: string | undefined;
  for (const line of block.toString("utf8").split("\r\n")) {
    if (line === "") continue;
    if ((line[0] === " " || line[0] === "\t") && last !== undefined) {
      headers[last] += " " + line.trim(); // obsolete line folding (RFC 5322)
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError("malformed multipart part header");
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

// Sticky, so the check looks at one position without copying the rest of the value (a value full
// of `\"` would otherwise cost quadratic time).
const QUOTE_ENDS_VALUE = /"\s*(;|$)/y;
function quoteEndsValue(value: string, at: number): boolean {
  QUOTE_ENDS_VALUE.lastIndex = at;
  return QUOTE_ENDS_VALUE.test(value);
}

/** Parameters of a header value such as `form-data; name="file"; filename="a b.bin"` (names lower-cased). */
export function parseHeaderParams(value: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = Object.create(null);
  let i = value.indexOf(";");
  const type = (i < 0 ? value : value.slice(0, i)).trim().toLowerCase();
  if (i < 0) return { type, params };
  i++;
  while (i < value.length) {
    while (i < value.length && (value[i] === " " || value[i] === "\t" || value[i] === ";")) i++;
    const eq = value.indexOf("=", i);
    if (eq < 0) break;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < value.length && (value[i] === " " || value[i] === "\t")) i++;
    let v = "";
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        // Browsers and undici (WHATWG) never backslash-escape: they write `"` as %22 and a
        // backslash as itself. curl and Go write `\"` for a quote. So `\"` is read as an escaped
        // quote unless it ends the value, and every other backslash is kept as a literal byte.
        if (value[i] === "\\" && value[i + 1] === '"' && !quoteEndsValue(value, i + 1)) i++;
        v += value[i];
        i++;
      }
      i++; // closing quote
      const semi = value.indexOf(";", i);
      i = semi < 0 ? value.length : semi + 1;
    } else {
      const semi = value.indexOf(";", i);
      const end = semi < 0 ? value.length : semi;
      v = value.slice(i, end).trim();
      i = end + 1;
    }
    if (name && !(name in params)) params[name] = v;
  }
  return { type, params };
}

