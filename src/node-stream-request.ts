/**
 * Node edge: a request whose body is a stream (a streamed Plik upload, issue 9) goes through
 * node:http, which waits for the socket's 'drain' before reading the next chunk. Node 20's fetch
 * (undici) read such a body ahead of the socket: a 256 MiB upload to a file server in another
 * process held the whole payload in memory (bench/streams.ts). Everything else stays on fetch.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { concatBytes } from "./core/bytes.js";
import type { ResponseLike } from "./core/runtime.js";

interface StreamInit {
  method?: string;
  headers?: Record<string, string>;
  body: ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

const aborted = () => Object.assign(new Error("This operation was aborted"), { name: "AbortError" });

export function streamRequest(url: string, init: StreamInit): Promise<ResponseLike> {
  return new Promise<ResponseLike>((resolve, reject) => {
    const u = new URL(url);
    const reader = init.body.getReader();
    if (init.signal?.aborted) {
      void reader.cancel().catch(() => undefined);
      return reject(aborted());
    }
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(u, { method: init.method ?? "POST", headers: init.headers });
    const onAbort = () => req.destroy(aborted());
    init.signal?.addEventListener("abort", onAbort, { once: true });
    let settled = false;
    const fail = (e: unknown) => {
      void reader.cancel(e).catch(() => undefined);
      if (!settled) (settled = true), reject(e);
    };
    req.on("error", fail);
    req.on("close", () => init.signal?.removeEventListener("abort", onAbort));
    req.on("response", (res) => {
      if (!settled) (settled = true), resolve(responseOf(res));
    });
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (!req.write(value)) {
            await new Promise<void>((go) => {
              const on = () => (req.off("drain", on), req.off("close", on), go());
              req.on("drain", on);
              req.on("close", on);
            });
          }
          if (req.destroyed) return;
        }
        req.end();
      } catch (e) {
        req.destroy(e as Error);
      }
    })();
  });
}

/** The answer as fetch would give it: status, headers, and the body as a web stream read on demand. */
function responseOf(res: IncomingMessage): ResponseLike {
  const body = new ReadableStream<Uint8Array>(
    {
      start(ctl) {
        res.on("data", (c: Buffer) => {
          ctl.enqueue(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
          if ((ctl.desiredSize ?? 1) <= 0) res.pause();
        });
        res.on("end", () => ctl.close());
        res.on("error", (e) => ctl.error(e));
      },
      pull: () => void res.resume(),
      cancel: () => void res.destroy(),
    },
    { highWaterMark: 4 },
  );
  const whole = async (): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (const reader = body.getReader(); ; ) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
    }
    return concatBytes(parts, n);
  };
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get: (name) => {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
      },
    },
    body,
    arrayBuffer: async () => {
      const b = await whole();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
    text: async () => new TextDecoder().decode(await whole()),
  };
}
