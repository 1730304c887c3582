/**
 * Issue 8 item 5: headers, idle and total time limits for downloads and uploads, settable per call
 * and per bridge; retrying stops at the total budget. Servers that stall, drip or freeze, on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBridge, createPlikUploadHandler, nodeRuntime, smartreceive, smartsend, DEFAULT_DOWNLOAD_TIMEOUTS, DEFAULT_UPLOAD_TIMEOUTS } from "../../src/node.js";
import { linkEnvelope, startHttpServer, until, type TestHttpServer } from "../helpers/http-server.js";

let server: TestHttpServer;
let dripping = 0;
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const path = req.url ?? "";
    if (path === "/hang" || path === "/frozen/upload") return; // accepts, never answers
    if (path === "/stall") {
      res.writeHead(200, { "content-length": "100" });
      return void res.write(Buffer.alloc(10)); // then silence
    }
    if (path === "/drip") {
      // One byte every 20 ms: never idle long, never done (bounded at 10,000 bytes).
      res.writeHead(200);
      dripping++;
      let n = 0;
      const t = setInterval(() => (++n > 10_000 ? (clearInterval(t), res.end()) : res.write("x")), 20);
      res.on("close", () => (clearInterval(t), dripping--));
      return;
    }
    if (path === "/503") return void res.writeHead(503).end();
    if (path === "/halfway/upload") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "u1", uploadToken: "t1" }));
    if (path.startsWith("/halfway/file/")) return; // the file POST is never answered
    res.writeHead(404).end();
  });
});
afterAll(() => server?.close());

const link = (path: string, size: number | null = 100) => linkEnvelope([{ url: `${server.url}${path}`, size }]);
const allowed = () => ({ allowed_origins: [server.url] });

describe("download time limits", () => {
  it("defaults are documented constants", () => {
    expect(DEFAULT_DOWNLOAD_TIMEOUTS).toEqual({ headers_ms: 15_000, idle_ms: 15_000, total_ms: 120_000 });
    expect(DEFAULT_UPLOAD_TIMEOUTS).toEqual({ headers_ms: 15_000, idle_ms: 15_000, total_ms: 120_000 });
  });

  it("headers_ms: a server that never answers fails each attempt, and the call, with a timeout", async () => {
    const err = await smartreceive(await link("/hang"), { ...allowed(), max_retries: 2, base_delay: 10, timeouts: { headers_ms: 200 } }).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "headers", attempts: 2 });
  }, 20_000);

  it("idle_ms: a body that stops arriving fails with an idle timeout", async () => {
    const err = await smartreceive(await link("/stall"), { ...allowed(), max_retries: 1, timeouts: { idle_ms: 200 } }).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "idle" });
  }, 20_000);

  it("total_ms: a drip-feeding server is cut off at the total budget and its connection closed", async () => {
    const err = await smartreceive(await link("/drip", 1_000_000), { ...allowed(), timeouts: { idle_ms: 5_000, total_ms: 500 } }).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "total", attempts: 1 });
    await until(() => dripping === 0, "the drip connection to close");
  }, 20_000);

  it("retrying stops at the total budget, however many attempts retry.limit allows", async () => {
    const before = server.hits.length;
    const err = await smartreceive(await link("/503"), { ...allowed(), retry: { limit: 1000, base_delay: 20, max_delay: 20 }, timeouts: { total_ms: 400 } }).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "total" });
    const made = server.hits.length - before;
    // An attempt cut off by the budget may not have reached the server yet.
    expect(made).toBeLessThanOrEqual(err.details.attempts);
    // 1000 attempts 20 ms apart would take 20 s; the budget allows a couple of dozen at most.
    expect(made).toBeLessThan(100);
  }, 20_000);

  it("per bridge, with a call's own timeouts merged field by field", async () => {
    const bridge = createBridge({ ...allowed(), max_retries: 1, timeouts: { headers_ms: 200 } });
    const err = await bridge.smartreceive(await link("/hang")).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "timeout", timeout: "headers" });
    const err2 = await bridge.smartreceive(await link("/hang"), { timeouts: { total_ms: 60_000 } }).catch((e) => e);
    expect(err2.details).toMatchObject({ reason: "timeout", timeout: "headers" });
  }, 20_000);

  it("bad timeouts are INVALID_OPTIONS", async () => {
    const err = await smartreceive(await link("/hang"), { ...allowed(), timeouts: { idle_ms: -1 } }).catch((e) => e);
    expect(err.code).toBe("INVALID_OPTIONS");
  });
});

describe("upload time limits", () => {
  const big = new Uint8Array(2000).fill(7);
  const send = (fileserver_url: string, extra: object = {}) =>
    smartsend("up", [["f", big, "binary"]], { is_publish: false, size_threshold: 0, fileserver_url, ...extra }).catch((e) => e);

  it("a frozen file server fails smartsend after headers_ms instead of holding it for minutes", async () => {
    const err = await send(`${server.url}/frozen`, { timeouts: { headers_ms: 200 } });
    expect(err.code).toBe("UPLOAD_FAILED");
    expect(err.details).toMatchObject({ step: "POST /upload", timeout: "headers" });
  }, 20_000);

  it("a file POST that is never answered is bounded by total_ms", async () => {
    const err = await send(`${server.url}/halfway`, { timeouts: { total_ms: 500 } });
    expect(err.code).toBe("UPLOAD_FAILED");
    expect(err.details).toMatchObject({ step: "POST /file/u1", timeout: "total" });
  }, 20_000);

  it("per upload handler and per bridge", async () => {
    const handler = createPlikUploadHandler({ timeouts: { headers_ms: 200 } });
    const err = await send(`${server.url}/frozen`, { fileserver_upload_handler: handler });
    expect(err.details).toMatchObject({ timeout: "headers" });
    const bridge = createBridge({ timeouts: { total_ms: 300 } });
    const err2 = await bridge.smartsend("up", [["f", big, "binary"]], { is_publish: false, size_threshold: 0, fileserver_url: `${server.url}/halfway` }).catch((e) => e);
    expect(err2.details).toMatchObject({ timeout: "total" });
  }, 20_000);
});
