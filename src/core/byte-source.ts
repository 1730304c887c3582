import { concatBytes } from "./bytes.js";
import { NatsBridgeError } from "./errors.js";

/**
 * A payload that is not in memory (issue 9): a Blob or File (browser file pickers, Node's
 * fs.openAsBlob), a web ReadableStream<Uint8Array>, or a Node Readable (any async iterable of
 * byte chunks). It is read once, as a stream, while it is uploaded: never copied whole.
 */
export interface ByteSource {
  /** Known length (a Blob's size), or null for a stream: a source of unknown length always goes by link. */
  readonly size: number | null;
  /** The bytes as a web stream; a source can be opened once. */
  stream(): ReadableStream<Uint8Array>;
  /** A Blob when the source is one (the browser's FormData streams a Blob from disk by itself). */
  readonly blob?: Blob;
  /** Set when the source itself failed (a chunk that is not bytes): the uploader only sees a broken body. */
  failure?: NatsBridgeError;
}

const isBlob = (v: unknown): v is Blob => typeof Blob !== "undefined" && v instanceof Blob;
const isWebStream = (v: unknown): v is ReadableStream<Uint8Array> => typeof ReadableStream !== "undefined" && v instanceof ReadableStream;
const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === "object" && v !== null && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";

/** A chunk as a Uint8Array view (a Node Buffer is one already); anything else is the caller's mistake. */
function chunkBytes(c: unknown): Uint8Array {
  if (c instanceof Uint8Array) return c;
  if (c instanceof ArrayBuffer) return new Uint8Array(c);
  if (ArrayBuffer.isView(c)) return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
  throw new NatsBridgeError("SERIALIZATION_ERROR", `a payload stream yielded ${typeof c === "string" ? "a string" : typeof c}, not bytes`);
}

function bytesOf(src: ByteSource, c: unknown): Uint8Array {
  try {
    return chunkBytes(c);
  } catch (e) {
    src.failure = e as NatsBridgeError;
    throw e;
  }
}

function once<T>(src: () => ByteSource, open: () => T): () => T {
  let opened = false;
  return () => {
    if (opened) {
      const e = new NatsBridgeError("SERIALIZATION_ERROR", "a payload stream can be read once; pass a new stream to send it again");
      src().failure = e;
      throw e;
    }
    opened = true;
    return open();
  };
}

/** Streams already given to a send: reading one again would upload nothing, silently. */
const used = new WeakSet<object>();

/** The value as a ByteSource, or null when it is not one (then it is bytes or not valid for the type). */
export function toByteSource(v: unknown): ByteSource | null {
  if ((isWebStream(v) || isAsyncIterable(v)) && (used.has(v) || (v as ReadableStream).locked === true || (v as { readableDidRead?: boolean }).readableDidRead === true)) {
    throw new NatsBridgeError("SERIALIZATION_ERROR", "a payload stream can be read once; pass a new stream to send it again");
  }
  if (isWebStream(v) || isAsyncIterable(v)) used.add(v);
  if (isBlob(v)) return { size: v.size, stream: () => v.stream() as ReadableStream<Uint8Array>, blob: v };
  if (isWebStream(v)) {
    const src: ByteSource = {
      size: null,
      stream: once(() => src, () => v.pipeThrough(new TransformStream<unknown, Uint8Array>({ transform: (c, ctl) => ctl.enqueue(bytesOf(src, c)) }))),
    };
    return src;
  }
  if (isAsyncIterable(v)) {
    const src: ByteSource = {
      size: null,
      stream: once(() => src, () => {
        const it = v[Symbol.asyncIterator]();
        return new ReadableStream<Uint8Array>({
          async pull(ctl) {
            const { done, value } = await it.next();
            if (done) ctl.close();
            else ctl.enqueue(bytesOf(src, value));
          },
          async cancel(reason) {
            await it.return?.(reason);
          },
        });
      }),
    };
    return src;
  }
  return null;
}

/** Reads a source of known, small size into memory (a Blob the plan sends direct). */
export async function readAll(source: ByteSource, limit: number): Promise<Uint8Array> {
  if (source.blob) return new Uint8Array(await source.blob.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (const reader = source.stream().getReader(); ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      await reader.cancel();
      throw new NatsBridgeError("SERIALIZATION_ERROR", `payload stream is longer than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, n);
}
