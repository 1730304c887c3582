/**
 * Upload progress bars (cli-progress) for `send`, `request` and `reply`: one bar per linked payload,
 * advanced by the bytes of the upload body as the HTTP client pulls them.
 *
 * The Plik uploader posts a FormData; to count its bytes the CLI gives that uploader a fetch that
 * encodes the FormData itself (undici's Response does the multipart encoding) and sends the
 * encoded stream through a counting TransformStream. The body then goes chunked, which Plik (Go's
 * net/http) and the dev file server (Node's http) both accept.
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { FormData, Response } from "undici";
import { makePlikUploader, type PlikUploadOptions } from "../core/claimcheck/plik.js";
import type { FetchLike } from "../core/runtime.js";
import { nodeRuntime, type UploadHandler } from "../node.js";
import { printable } from "./printable.js";
import { humanBytes } from "./size.js";

export interface UploadProgress {
  upload: UploadHandler;
  /** Draw the final state and release the terminal (cli-progress redraws on a timer until then). */
  stop(): void;
}

function countingFetch(fetch: FetchLike, onBytes: (n: number) => void): FetchLike {
  return (input, init) => {
    const body = init?.body;
    if (!(body instanceof FormData)) return fetch(input, init);
    const encoded = new Response(body);
    // undici's stream types and the DOM lib's differ in name only: both are Node's web streams.
    const counted = (encoded.body as unknown as ReadableStream<Uint8Array>).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, out) {
          onBytes(chunk.byteLength);
          out.enqueue(chunk);
        },
      }),
    );
    const headers = { ...(init!.headers as Record<string, string>), "content-type": encoded.headers.get("content-type")! };
    return fetch(input, { ...init, body: counted, duplex: "half", headers });
  };
}

function track(bar: SingleBar, total: number): (n: number) => void {
  let sent = 0;
  return (n) => {
    // The multipart framing adds a few hundred bytes to the file's own.
    sent = Math.min(total, sent + n);
    bar.update(sent, { sent: humanBytes(sent) });
  };
}

/** Plik uploads (`opts`) with a bar per file on `stream`, or plain uploads when `show` is false. */
export function uploadProgress(opts: PlikUploadOptions, stream: NodeJS.WritableStream, show: boolean): UploadProgress {
  if (!show) return { upload: makePlikUploader(nodeRuntime, opts), stop: () => undefined };
  const bars = new MultiBar(
    {
      stream,
      format: " {bar} {percentage}% | {sent} of {size} | {name}",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const upload: UploadHandler = async (fileserver_url, dataname, data) => {
    const total = data.byteLength;
    const bar = bars.create(total, 0, { name: printable(dataname), sent: humanBytes(0), size: humanBytes(total) });
    const runtime = { ...nodeRuntime, fetch: countingFetch(nodeRuntime.fetch, track(bar, total)) };
    const result = await makePlikUploader(runtime, opts)(fileserver_url, dataname, data);
    bar.update(total, { sent: humanBytes(total) });
    return result;
  };
  return { upload, stop: () => bars.stop() };
}
