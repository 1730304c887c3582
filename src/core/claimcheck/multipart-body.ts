import type { ByteSource } from "../byte-source.js";
import type { Runtime } from "../runtime.js";

/**
 * The file part of a Plik upload (`multipart/form-data`, one field `file`). Where the runtime's
 * fetch can send a stream (Node), the body is written as it is read — bytes in 256 KiB slices,
 * a Blob or stream as it comes — so nothing is copied whole and progress can be counted.
 * Browsers send request streams only over HTTP/2+, so there a Blob goes in FormData as it is
 * (the browser reads it from disk itself) and a stream is gathered into a Blob first.
 */
export interface FileBody {
  body: unknown;
  /** Extra headers the body needs (the multipart boundary); FormData sets its own. */
  headers: Record<string, string>;
  /** `duplex: "half"` for a stream body. */
  duplex?: "half";
}

const SLICE = 256 * 1024;
const enc = new TextEncoder();

function boundary(): string {
  const r = new Uint8Array(16);
  globalThis.crypto.getRandomValues(r);
  return `----natsbridge${Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function sliced(bytes: Uint8Array, onProgress?: (loaded: number) => void): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(ctl) {
      if (at >= bytes.byteLength) return ctl.close();
      const end = Math.min(at + SLICE, bytes.byteLength);
      ctl.enqueue(bytes.subarray(at, end));
      at = end;
      onProgress?.(at);
    },
  });
}

/** `fileName` must already be tamed (plikFileName: no quotes, CR or LF). */
export async function fileBody(
  runtime: Pick<Runtime, "FormData" | "Blob" | "streamingUploads">,
  data: Uint8Array | ByteSource,
  fileName: string,
  onProgress?: (loaded: number) => void,
  signal?: AbortSignal,
): Promise<FileBody> {
  if (!runtime.streamingUploads) {
    const form = new runtime.FormData();
    const blob = data instanceof Uint8Array ? new runtime.Blob([data], { type: "application/octet-stream" }) : (data.blob ?? (await gather(runtime, data, signal)));
    form.append("file", blob, fileName);
    return { body: form, headers: {} };
  }
  const b = boundary();
  const head = enc.encode(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = enc.encode(`\r\n--${b}--\r\n`);
  const content = data instanceof Uint8Array ? sliced(data, onProgress) : data.stream();
  let stage = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // fetch does not cancel a request body it stops sending: the source is cancelled here, so an
  // aborted upload stops reading the caller's file or stream at once.
  const onAbort = () => void (reader ?? content).cancel(signal!.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  const release = () => signal?.removeEventListener("abort", onAbort);
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (stage === 0) {
        stage = 1;
        return ctl.enqueue(head);
      }
      if (stage === 1) {
        reader ??= content.getReader();
        const { done, value } = await reader.read();
        if (!done) return ctl.enqueue(value);
        stage = 2;
        return ctl.enqueue(tail);
      }
      release();
      ctl.close();
    },
    cancel: (reason) => (release(), reader?.cancel(reason) ?? content.cancel(reason)),
  });
  return { body, headers: { "Content-Type": `multipart/form-data; boundary=${b}` }, duplex: "half" };
}

/** A stream as one Blob, for a fetch that cannot send streams; the browser may keep a large Blob on disk. */
async function gather(runtime: Pick<Runtime, "Blob">, source: ByteSource, signal?: AbortSignal): Promise<unknown> {
  const parts: Uint8Array[] = [];
  const reader = source.stream().getReader();
  signal?.addEventListener("abort", () => void reader.cancel(signal.reason).catch(() => undefined), { once: true });
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return new runtime.Blob(parts, { type: "application/octet-stream" });
}
