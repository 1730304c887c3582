/**
 * Prompt shutdown of the dev file server and the Object Store gateway: once it began, new requests
 * are refused (by the caller, on `closing`), open connections are cut and the requests still being
 * handled are awaited.
 */
import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface Shutdown {
  /** True once `close()` began. */
  readonly closing: boolean;
  /** A request's handling, awaited by `close()`; it must not reject. */
  track(handled: Promise<unknown>): void;
  /** Stop listening, cut every connection and wait for the requests in hand; one promise for every call. */
  close(): Promise<void>;
}

/** Call before `server` listens, so every connection is seen. */
export function trackShutdown(server: Server): Shutdown {
  const inflight = new Set<Promise<unknown>>();
  const sockets = new Set<Socket>();
  let closing = false;
  let closed: Promise<void> | undefined;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  return {
    get closing() {
      return closing;
    },
    track(handled) {
      inflight.add(handled);
      void handled.then(() => inflight.delete(handled));
    },
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        // server.close() alone waits for keep-alive connections to time out; close() must be prompt.
        for (const s of sockets) s.destroy();
        await stopped;
        await Promise.allSettled([...inflight]);
      })();
      return closed;
    },
  };
}
