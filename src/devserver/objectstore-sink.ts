/** The Object Store gateway's FileSink: the posted file is put as one object, its name in the description. */
import type { ObjectStoreLike } from "../core/jetstream/api.js";
import type { FileSink } from "./receive-file.js";

/** Chunks queued for the store before the socket is paused. */
const QUEUED_CHUNKS = 8;

/** A sink putting the file into `os` under `object`. */
export function objectStoreSink(os: ObjectStoreLike, object: string): FileSink {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let stored: Promise<unknown> | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const resume = () => {
    wake?.();
    wake = undefined;
  };
  // The object store pulls chunks as it writes them: the socket pauses while it is behind, so a
  // large upload never piles up in memory.
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), pull: resume }, { highWaterMark: QUEUED_CHUNKS });
  return {
    open(fileName) {
      stored = os.put({ name: object, description: fileName }, body);
      return stored.then(() => undefined);
    },
    write(chunk) {
      controller.enqueue(chunk);
      return (controller.desiredSize ?? 1) > 0;
    },
    drained() {
      // A closed stream is never pulled again: once ended, the rest of the body is read at once.
      if (ended) return Promise.resolve();
      return new Promise<void>((r) => (wake = r));
    },
    end() {
      ended = true;
      controller.close();
      resume();
    },
    async abort(err) {
      // The store removes the chunks of a put that fails.
      if (stored) controller.error(err);
      await stored?.catch(() => undefined);
    },
  };
}
