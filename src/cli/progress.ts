/**
 * Upload progress bars (cli-progress) for `send`, `request` and `reply`: one bar per linked payload,
 * drawn from smartsend's `onProgress` events.
 *
 * smartsend reports an upload's start and end itself and the bytes in between when the upload
 * handler tells it (`options.onProgress`). The Plik uploader posts a FormData in one go, so the CLI
 * gives it a fetch that encodes the FormData itself (undici's Response does the multipart encoding)
 * and counts the encoded stream as undici pulls it. The body then goes chunked, which Plik (Go's
 * net/http) and the dev file server (Node's http) both accept.
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { FormData, Response } from "undici";
import { makePlikUploader, type PlikUploadOptions } from "../core/claimcheck/plik.js";
import type { ProgressListener } from "../core/progress.js";
import type { FetchLike } from "../core/runtime.js";
import { nodeRuntime, type UploadHandler } from "../node.js";
import { printable } from "./printable.js";
import { humanBytes } from "./size.js";

export interface UploadProgress {
  upload: UploadHandler;
  /** smartsend's listener; undefined when no bars are shown. */
  onProgress?: ProgressListener;
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

/** A Plik uploader that tells smartsend how many of the file's bytes have gone out. */
function countingUploader(opts: PlikUploadOptions): UploadHandler {
  return (fileserver_url, dataname, data, call) => {
    const report = call?.onProgress;
    const size = data instanceof Uint8Array ? data.byteLength : (data.size ?? Number.POSITIVE_INFINITY);
    let sent = 0;
    // The multipart framing adds a few hundred bytes to the file's own: never report more than the file.
    const fetch = report ? countingFetch(nodeRuntime.fetch, (n) => report((sent = Math.min(size, sent + n)))) : nodeRuntime.fetch;
    return makePlikUploader({ ...nodeRuntime, fetch }, opts)(fileserver_url, dataname, data, call);
  };
}

/** Plik uploads (`opts`) with a bar per file on `stream`, or plain uploads when `show` is false. */
export function uploadProgress(opts: PlikUploadOptions, stream: NodeJS.WritableStream, show: boolean): UploadProgress {
  if (!show) return { upload: makePlikUploader(nodeRuntime, opts), stop: () => undefined };
  const bars = new MultiBar(
    { stream, format: " {bar} {percentage}% | {sent} of {size} | {name}", hideCursor: true, clearOnComplete: false, autopadding: true },
    Presets.shades_classic,
  );
  // Events name the payload; a repeated dataname shares its bar.
  const byName = new Map<string, SingleBar>();
  const onProgress: ProgressListener = ({ dataname, direction, loaded, total }) => {
    // smartrequest hands the same listener to the receiving side: only uploads get bars.
    if (direction !== "upload") return;
    const size = total ?? loaded;
    let bar = byName.get(dataname);
    if (!bar) byName.set(dataname, (bar = bars.create(size, 0, { name: printable(dataname) })));
    bar.setTotal(size);
    bar.update(loaded, { sent: humanBytes(loaded), size: total === null ? "?" : humanBytes(total) });
  };
  return { upload: countingUploader(opts), onProgress, stop: () => bars.stop() };
}
