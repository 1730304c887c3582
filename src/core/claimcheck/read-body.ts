import { asBytes } from "../bytes.js";
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
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!value) continue;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw tooLong(`more than ${cap}`);
    }
    chunks.push(value);
    limits.onChunk?.();
  }
  return checkExact(concat(chunks, total), expected);
}

function checkExact(body: Uint8Array, expected: number | null): Uint8Array {
  if (expected !== null && body.byteLength !== expected) throw new BodyRefused("size_mismatch", `body is ${body.byteLength} bytes, size says ${expected}`);
  return body;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return new Uint8Array(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
