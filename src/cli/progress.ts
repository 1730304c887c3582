/**
 * Upload progress bars (cli-progress) for `send`, `request` and `reply`: one bar per linked payload,
 * drawn from smartsend's `onProgress` events (the Plik uploader streams its multipart body and
 * reports the bytes as they go out).
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { ProgressListener } from "../node.js";
import { printable } from "./printable.js";
import { humanBytes } from "./size.js";

export interface UploadProgress {
  /** smartsend's listener; undefined when no bars are shown. */
  onProgress?: ProgressListener;
  /** Draw the final state and release the terminal (cli-progress redraws on a timer until then). */
  stop(): void;
}

/** Bars on `stream` when `show`, else nothing. */
export function uploadProgress(stream: NodeJS.WritableStream, show: boolean): UploadProgress {
  if (!show) return { stop: () => undefined };
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
  return { onProgress, stop: () => bars.stop() };
}
