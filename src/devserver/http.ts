/**
 * Small HTTP helpers shared by the dev file server and the Object Store gateway: coded errors, JSON
 * answers, bounded bodies, listening.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** A refusal with its HTTP status; anything else thrown by a route is a bug and answers 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON answer; headers set earlier on `res` (CORS) are merged in by `writeHead`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
  });
  res.end(text);
}

/** Plik's error shape; once a body has started, the only honest signal left is to cut the connection. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message, status });
}

/** Read a body that must be small (upload parameters), refusing it with 413 once it passes `limit`. */
export async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The URL clients use: a wildcard bind is reachable on loopback, and a URL needs a concrete host. */
export function baseUrl(host: string, port: number): string {
  const urlHost = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${urlHost.includes(":") ? `[${urlHost}]` : urlHost}:${port}`;
}

/** Listen on `host:port`; rejects when the port is taken or the address is not local. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
