import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { AddressInfo } from "node:net";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export interface StaticServer {
  /** http://127.0.0.1:PORT (no trailing slash) */
  url: string;
  close(): Promise<void>;
}

/**
 * A tiny static file server on 127.0.0.1 for the browser tests: serves `root`, plus any
 * in-memory `extra` files (path → body). No directory listing, no path escapes.
 */
export async function startStaticServer(root: string, extra: Record<string, string | Uint8Array> = {}): Promise<StaticServer> {
  const server: Server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      if (path.endsWith("/")) path += "index.html";
      const type = TYPES[extname(path)] ?? "application/octet-stream";
      let body: string | Uint8Array | undefined = extra[path];
      if (body === undefined) {
        const file = normalize(join(root, path));
        if (!file.startsWith(normalize(root) + sep)) throw Object.assign(new Error("outside root"), { code: "ENOENT" });
        body = await readFile(file);
      }
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    } catch (e) {
      const notFound = (e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EISDIR";
      res.writeHead(notFound ? 404 : 500, { "content-type": "text/plain" });
      res.end(notFound ? "not found" : String(e));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
