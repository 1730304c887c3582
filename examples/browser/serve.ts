/**
 * `npm run example:browser`: starts everything the browser example needs on free loopback ports:
 *   - nats-server with its WebSocket listener (browsers speak NATS over WebSocket),
 *   - the dev file server (`natsbridge/fileserver`, CORS for the page's origin) for payloads that go by link,
 *   - a static server for the page, with app.js bundled by esbuild on start,
 * and prints the URL to open. Ctrl-C stops it all.
 */
import { build } from "esbuild";
import { createServer } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { startFileServer } from "../../src/fileserver.js";
// The test helper that finds nats-server (PATH, /usr/sbin, .tools/bin) and starts it with WebSocket on.
import { startNatsServer } from "../../test/helpers/nats-server.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");

export interface Example {
  url: string;
  wsUrl: string;
  fileserverUrl: string;
  subject: string;
  close(): Promise<void>;
}

/** Bundle app.js for the browser. "natsbridge" is the library's browser entry, from source, so no build step is needed. */
async function bundleApp(outdir: string): Promise<void> {
  await build({
    entryPoints: { app: join(HERE, "app.js") },
    outdir,
    bundle: true,
    format: "esm",
    splitting: true, // apache-arrow becomes its own chunk, fetched on the first arrowtable
    platform: "browser",
    conditions: ["browser"],
    target: "es2022",
    alias: { natsbridge: join(ROOT, "src/browser.ts") },
    // nats.ws's bundled tweetnacl has a dead `require("crypto")` fallback (nats-io/nats.ws#241).
    external: ["crypto"],
    sourcemap: true,
    logLevel: "warning",
    absWorkingDir: ROOT,
  });
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json", ".json": "application/json" };

export async function startExample(opts: { port?: number; subject?: string } = {}): Promise<Example> {
  const outdir = await mkdtemp(join(tmpdir(), "natsbridge-example-"));
  // The dev file server lets only this page's origin in (CORS); the page server's port is known
  // once it listens, below, and the page may be opened as 127.0.0.1 or localhost.
  let pageOrigins: string[] = [];
  const cors = { origins: (origin: string) => pageOrigins.includes(origin) };
  const [nats, files] = await Promise.all([startNatsServer(), startFileServer({ host: "127.0.0.1", cors }), bundleApp(outdir)]).then(
    ([n, f]) => [n, f] as const,
  );
  const subject = opts.subject ?? "natsbridge.example.chat";
  const configJson = JSON.stringify({ wsUrl: nats.wsUrl, fileserverUrl: files.url, subject });

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    try {
      let body: string | Buffer;
      if (path === "/" || path === "/index.html") body = await readFile(join(HERE, "index.html"));
      else if (path === "/config.json") body = configJson;
      else if (/^\/[\w.-]+\.(js|map)$/.test(path)) body = await readFile(join(outdir, path.slice(1)));
      else throw Object.assign(new Error("not found"), { code: "ENOENT" });
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? TYPES[".html"]!, "cache-control": "no-store" });
      res.end(body);
    } catch (e) {
      const nf = (e as NodeJS.ErrnoException).code === "ENOENT";
      res.writeHead(nf ? 404 : 500, { "content-type": "text/plain" });
      res.end(nf ? "not found" : String(e));
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  pageOrigins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/`,
    wsUrl: nats.wsUrl,
    fileserverUrl: files.url,
    subject,
    close: () =>
      (closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await Promise.all([files.close(), nats.stop(), rm(outdir, { recursive: true, force: true })]);
      })()),
  };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const port = process.env.PORT ? Number(process.env.PORT) : undefined;
  const ex = await startExample({ port });
  console.log(`natsbridge browser example
  page:         ${ex.url}   ← open this (in two tabs to chat)
  nats (ws):    ${ex.wsUrl}
  file server:  ${ex.fileserverUrl}
  subject:      ${ex.subject}
Ctrl-C to stop.`);
  const stop = () => {
    ex.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
