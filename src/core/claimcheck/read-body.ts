import { asBytes, concatBytes } from "../bytes.js";
import type { ResponseLike } from "../runtime.js";

export type BodyRefusal = "size_mismatch" | "too_large";

/** The body was refused on its length: the server sends something other than the payload named. */
export class BodyRefused extends Error {
  constructor(
    readonly reason: BodyRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface BodyLimits {
  /** The envelope's `size`: the body must be exactly this long. */
  expected_size?: number | null;
  /** Never hold more than this many bytes. */
  max_bytes: number;
  /** Called after every chunk (restarts the idle clock). */
  onChunk?: () => void;
  /** Every chunk as it is read (hashing and progress, in the same pass). */
  onData?: (chunk: Uint8Array) => void;
}

interface Reader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

/** Content-Length when it describes the bytes we will read (not when the body is decompressed on the way). */
function declaredLength(res: ResponseLike): number | null {
  const encoding = res.headers?.get("content-encoding");
  if (encoding && encoding.toLowerCase() !== "identity") return null;
  const text = res.headers?.get("content-length");
  return text && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}

function refuse(res: ResponseLike, why: BodyRefused): never {
  // Cancelling the stream ends the transfer (and, for fetch, the connection) instead of draining it.
  (res.body as { cancel?: () => Promise<void> } | undefined)?.cancel?.()?.catch?.(() => undefined);
  throw why;
}

/**
 * Read a response body without ever holding more than the limit (issue 8 item 2): a Content-Length
 * that disagrees with the expected size, or a body that grows past it, is refused at once and the
 * stream cancelled; without an expected size `max_bytes` bounds it.
 */
export async function readBody(res: ResponseLike, limits: BodyLimits): Promise<Uint8Array> {
  const expected = limits.expected_size ?? null;
  const cap = expected ?? limits.max_bytes;
  const tooLong = (n: number | string) =>
    new BodyRefused(expected === null ? "too_large" : "size_mismatch", expected === null ? `body exceeds ${limits.max_bytes} bytes (${n})` : `body is ${n} bytes, size says ${expected}`);
  const declared = declaredLength(res);
  if (declared !== null && expected !== null && declared !== expected) refuse(res, tooLong(declared));
  if (declared !== null && declared > cap) refuse(res, tooLong(declared));

  const stream = res.body as { getReader?: () => Reader } | null | undefined;
  if (typeof stream?.getReader !== "function") {
    // A runtime without body streams: the whole body arrives at once, checked after the fact.
    const whole = asBytes(await res.arrayBuffer())!;
    if (whole.byteLength > cap) throw tooLong(whole.byteLength);
    return checkExact(whole, expected);
  }
  const reader = stream.getReader();
  // With the length known (the envelope's size, or a Content-Length within the cap) the body is
  // copied into one buffer as it arrives, so each chunk is garbage at once: no list of chunks plus
  // a second whole copy at the end (issue 9: at most input + output in memory).
  const known = expected ?? declared;
  const whole = known !== null && known <= cap ? new Uint8Array(known) : null;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!value) continue;
    if (total + value.byteLength > cap || (whole && total + value.byteLength > whole.byteLength)) {
      await reader.cancel().catch(() => undefined);
      throw tooLong(`more than ${whole ? whole.byteLength : cap}`);
    }
    if (whole) whole.set(value, total);
    else chunks.push(value);
    total += value.byteLength;
    limits.onData?.(value);
    limits.onChunk?.();
  }
  if (whole) return checkExact(total === whole.byteLength ? whole : whole.subarray(0, total), expected);
  return checkExact(concat(chunks, total), expected);
}

/**
 * The body as a stream for the caller to read at its own pace (issue 9), held to the same rules as
 * readBody: a wrong Content-Length is refused before any byte, a body longer than allowed errors
 * the stream at the first chunk too many, a short one at its end. `end` runs once the stream is
 * done, failed or cancelled.
 */
export function bodyStream(res: ResponseLike, limits: BodyLimits, end: () => void): ReadableStream<Uint8Array> {
  const expected = limits.expected_size ?? null;
  const cap = expected ?? limits.max_bytes;
  const declared = declaredLength(res);
  const mismatch = (n: number | string) =>
    new BodyRefused(expected === null ? "too_large" : "size_mismatch", expected === null ? `body exceeds ${limits.max_bytes} bytes (${n})` : `body is ${n} bytes, size says ${expected}`);
  if (declared !== null && ((expected !== null && declared !== expected) || declared > cap)) refuse(res, mismatch(declared));
  const stream = res.body as ReadableStream<Uint8Array> | null | undefined;
  if (!stream || typeof stream.getReader !== "function") throw new BodyRefused("size_mismatch", "this runtime's fetch gives no body stream");
  const reader = stream.getReader();
  let total = 0;
  let ended = false;
  const finish = () => {
    if (!ended) (ended = true), end();
  };
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          if (expected !== null && total !== expected) throw mismatch(total);
          finish();
          return ctl.close();
        }
        total += value.byteLength;
        if (total > cap) {
          await reader.cancel().catch(() => undefined);
          throw mismatch(`more than ${cap}`);
        }
        limits.onData?.(value);
        limits.onChunk?.();
        ctl.enqueue(value);
      } catch (e) {
        finish();
        ctl.error(e);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}

function checkExact(body: Uint8Array, expected: number | null): Uint8Array {
  if (expected !== null && body.byteLength !== expected) throw new BodyRefused("size_mismatch", `body is ${body.byteLength} bytes, size says ${expected}`);
  return body;
}

/** One chunk is handed back as a plain view of itself (no copy); more are joined. */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return new Uint8Array(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength);
  return concatBytes(chunks, total);
}
