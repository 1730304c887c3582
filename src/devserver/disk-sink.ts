/** The dev file server's FileSink: the posted file goes to a new file on disk, removed again on failure. */
import { createWriteStream, type WriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import type { FileSink } from "./receive-file.js";

/** A sink writing to `path`, which must not exist yet. */
export function diskSink(path: string): FileSink {
  let out: WriteStream | undefined;
  return {
    open() {
      out = createWriteStream(path, { flags: "wx" });
      const w = out;
      return new Promise<void>((resolve, reject) => {
        w.once("finish", () => resolve());
        w.once("error", reject);
      });
    },
    write: (chunk) => out!.write(chunk),
    drained() {
      // A stream that was end()ed in this chunk never emits 'drain': 'finish' or 'close' end the wait too.
      const w = out!;
      return new Promise<void>((resolve) => {
        const go = () => {
          w.off("drain", go).off("finish", go).off("close", go);
          resolve();
        };
        w.on("drain", go).on("finish", go).on("close", go);
      });
    },
    end: () => void out!.end(),
    async abort() {
      // Close the descriptor before removing the partial file.
      await new Promise<void>((resolve) => {
        if (!out || out.closed) return resolve();
        out.once("close", () => resolve());
        out.destroy();
      });
      await unlink(path).catch(() => undefined);
    },
  };
}
