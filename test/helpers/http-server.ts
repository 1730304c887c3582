/**
 * A plain HTTP server on 127.0.0.1 for download/upload tests: each test gives the handler, the
 * server counts requests and tells when every response it started has closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { smartsend } from "../../src/node.js";

export interface TestHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Request paths in arrival order. */
  hits: string[];
  /** Responses currently open. */
  open: number;
  close(): Promise<void>;
}

export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestHttpServer> {
  const state = { hits: [] as string[], open: 0 };
  const server: Server = createServer((req, res) => {
    state.hits.push(req.url ?? "");
    state.open++;
    res.on("close", () => state.open--);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits: state.hits,
    get open() {
      return state.open;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Write `total` bytes in `chunk`-sized pieces, respecting backpressure, until done or the client
 * goes away; resolves with the bytes handed to the socket and whether the response was cut short.
 */
export function streamBytes(res: ServerResponse, total: number, chunk = 64 * 1024, pauseMs = 0): Promise<{ sent: number; cut: boolean }> {
  return new Promise((resolve) => {
    let sent = 0;
    let closed = false;
    res.on("close", () => {
      closed = true;
      resolve({ sent, cut: !res.writableFinished });
    });
    const piece = Buffer.alloc(chunk, 0x61);
    const pump = () => {
      while (!closed && sent < total) {
        const n = Math.min(chunk, total - sent);
        sent += n;
        const more = res.write(n === chunk ? piece : piece.subarray(0, n));
        if (sent >= total) return void res.end();
        if (!more) return void res.once("drain", pump);
        if (pauseMs > 0) return void setTimeout(pump, pauseMs);
      }
    };
    pump();
  });
}

/** Wait (bounded by the test timeout) until `cond` holds. For events, not for timing. */
export async function until(cond: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface LinkSpec {
  url: string;
  size?: number | null;
  dataname?: string;
  payload_type?: string;
}

/** A valid envelope (JSON text) whose payloads are the given links. */
export async function linkEnvelope(links: LinkSpec[]): Promise<string> {
  const [, json] = await smartsend("links", [["m", "x", "text"]], { is_publish: false, correlation_id: "links-cid" });
  const e = JSON.parse(json);
  const template = e.payloads[0];
  e.payloads = links.map((l, i) => {
    const p: Record<string, unknown> = { ...template, id: `${template.id.slice(0, -4)}${String(i).padStart(4, "0")}`, dataname: l.dataname ?? `p${i}`, payload_type: l.payload_type ?? "binary", transport: "link", encoding: "none", data: l.url, metadata: {} };
    if (l.size === null || l.size === undefined) delete p.size;
    else p.size = l.size;
    return p;
  });
  return JSON.stringify(e);
}
