/**
 * Issue 8 item 4: when one download of a message fails, the others are cancelled — their
 * connections closed, their bytes no longer read — and downloads still waiting never start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smartreceive } from "../../src/node.js";
import { linkEnvelope, startHttpServer, streamBytes, until, type TestHttpServer } from "../helpers/http-server.js";

const MiB = 1024 * 1024;
const BIG = 64 * MiB;

let server: TestHttpServer;
let bigStreams: Array<Promise<{ sent: number; cut: boolean }>> = [];
let bigStarted = 0;
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    if (req.url?.startsWith("/big")) {
      bigStarted++;
      res.writeHead(200, { "content-length": String(BIG) });
      // Slow: 64 KiB every 20 ms, about 20 s for the whole body if nobody stops it.
      bigStreams.push(streamBytes(res, BIG, 64 * 1024, 20));
    } else if (req.url === "/fail") {
      // Fails (permanently: 410 is not retried) once every big download is under way.
      const answer = () => (bigStarted >= 3 ? res.writeHead(410).end() : setTimeout(answer, 5));
      answer();
    } else res.writeHead(200).end("12345678");
  });
});
afterAll(() => server?.close());

describe("a failed download cancels its siblings", () => {
  it("several large slow links and one that fails: the call fails and the server sees the others closed early", async () => {
    bigStreams = [];
    bigStarted = 0;
    const json = await linkEnvelope([
      { url: `${server.url}/big/1`, size: BIG },
      { url: `${server.url}/big/2`, size: BIG },
      { url: `${server.url}/big/3`, size: BIG },
      { url: `${server.url}/fail`, size: 8 },
    ]);
    const err = await smartreceive(json, { allowed_origins: [server.url], max_concurrent_downloads: 8 }).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(bigStreams).toHaveLength(3);
    const ends = await Promise.all(bigStreams);
    for (const { sent, cut } of ends) {
      expect(cut).toBe(true);
      expect(sent).toBeLessThan(BIG);
    }
    expect(err.details).toMatchObject({ reason: "http_status", status: 410, dataname: "p3" });
    await until(() => server.open === 0, "every response to be closed");
  }, 30_000);

  it("downloads still waiting for a slot never start after a failure", async () => {
    const before = server.hits.length;
    const json = await linkEnvelope([
      { url: `${server.url}/fail`, size: 8 },
      ...Array.from({ length: 5 }, (_, i) => ({ url: `${server.url}/ok/${i}`, size: 8 })),
    ]);
    bigStarted = 3; // let /fail answer at once
    const err = await smartreceive(json, { allowed_origins: [server.url], max_concurrent_downloads: 1 }).catch((e) => e);
    expect(err.details.reason).toBe("http_status");
    expect(server.hits.length - before).toBe(1);
  });

  it("the caller's signal cancels every download of the message", async () => {
    bigStreams = [];
    bigStarted = 0;
    const json = await linkEnvelope([
      { url: `${server.url}/big/a`, size: BIG },
      { url: `${server.url}/big/b`, size: BIG },
    ]);
    const ctl = new AbortController();
    const receiving = smartreceive(json, { allowed_origins: [server.url], signal: ctl.signal }).catch((e) => e);
    await until(() => bigStarted === 2, "both downloads to start");
    ctl.abort();
    const err = await receiving;
    // The caller's own abort is what happened (ABORTED, as for smartsend), not the download it cut short.
    expect(err.code).toBe("ABORTED");
    for (const { cut } of await Promise.all(bigStreams)) expect(cut).toBe(true);
  }, 30_000);
});
