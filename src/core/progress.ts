/**
 * Progress of one payload's upload or download (issue 9): `onProgress({ dataname, direction,
 * loaded, total })`. Called at a sensible rate — when another 1% (at least 64 KiB) has moved, and
 * once at the end — so a 1 GB transfer makes about a hundred calls, not a call per chunk. `loaded`
 * only grows; the last call has `loaded === total` (total is null for a stream of unknown length
 * until it ends).
 */
export interface ProgressEvent {
  dataname: string;
  direction: "upload" | "download";
  loaded: number;
  total: number | null;
}

export type ProgressListener = (event: ProgressEvent) => void;

const MIN_STEP = 64 * 1024;

export interface ProgressReporter {
  /** Bytes moved so far. */
  to(loaded: number): void;
  /** The end: reports `loaded === total` once. */
  done(total: number): void;
}

const silent: ProgressReporter = { to: () => {}, done: () => {} };

export function progressReporter(listener: ProgressListener | undefined, dataname: string, direction: ProgressEvent["direction"], total: number | null): ProgressReporter {
  if (!listener) return silent;
  const step = Math.max(MIN_STEP, total === null ? 0 : Math.floor(total / 100));
  let last = -1;
  let ended = false;
  const emit = (loaded: number, t: number | null) => {
    last = loaded;
    // A listener is the caller's code; its failure must not break the transfer or be reported as one.
    try {
      listener({ dataname, direction, loaded, total: t });
    } catch {
      // ignored
    }
  };
  return {
    to(loaded) {
      if (ended) return;
      if (last < 0 || loaded - last >= step) emit(loaded, total);
    },
    done(n) {
      if (ended) return;
      ended = true;
      emit(n, n);
    },
  };
}
