/**
 * Issue 8 item 2: a link body is never read past what the envelope says (or past the receive cap),
 * and a declared size above the cap costs no request. Real HTTP servers on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smartreceive, fetchWithBackoff, DEFAULT_MAX_PAYLOAD_BYTES } from "../../src/node.js";
import { linkEnvelope, startHttpServer, streamBytes, until, type TestHttpServer } from "../helpers/http-server.js";

const MiB = 1024 * 1024;
/** What the server offers; the receiver must stop long before. Bounded so the old code finishes too. */
const OFFERED = 64 * MiB;

let server: TestHttpServer;
const streams: Array<Promise<{ sent: number; cut: boolean }>> = [];
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    if (req.url === "/endless") {
      // Chunked, no Content-Length: only counting what arrives can stop it.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      streams.push(streamBytes(res, OFFERED));
    } else if (req.url === "/claims-more") {
      // A Content-Length that disagrees with the envelope, then silence: the headers alone must decide.
      res.writeHead(200, { "content-length": String(MiB) });
      res.write(Buffer.alloc(1024));
    } else if (req.url === "/eight") {
      res.writeHead(200).end("payload!");
    } else res.writeHead(404).end();
  });
});
afterAll(() => server?.close());

const allowed = () => ({ allowed_origins: [server.url], max_retries: 1 });

describe("link download caps", () => {
  it("a body longer than the envelope's size is cut off after the first byte too many", async () => {
    streams.length = 0;
    const json = await linkEnvelope([{ url: `${server.url}/endless`, size: 5 }]);
    const err = await smartreceive(json, allowed()).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details.reason).toBe("size_mismatch");
    const { sent, cut } = await streams[0]!;
    // The old receiver read all 64 MiB before comparing sizes. Socket buffers hold a few MiB at most.
    expect(cut).toBe(true);
    expect(sent).toBeLessThan(OFFERED / 2);
  });

  it("a Content-Length that disagrees with size is refused on the headers, without reading the body", async () => {
    const before = server.hits.length;
    const json = await linkEnvelope([{ url: `${server.url}/claims-more`, size: 5 }]);
    const err = await smartreceive(json, allowed()).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details.reason).toBe("size_mismatch");
    expect(server.hits.length).toBe(before + 1);
    // The server is left holding an unfinished response: the receiver must have closed it.
    await until(() => server.open === 0, "the refused response to be closed");
  }, 20_000);

  it("a declared size above the default 256 MiB cap is refused before any request", async () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(256 * MiB);
    const before = server.hits.length;
    const json = await linkEnvelope([{ url: `${server.url}/eight`, size: 300 * MiB }]);
    const err = await smartreceive(json, allowed()).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details).toMatchObject({ reason: "too_large", size: 300 * MiB, max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES });
    expect(server.hits.length).toBe(before);
  });

  it("max_payload_bytes: a smaller cap refuses a declared size above it, again with no request", async () => {
    const before = server.hits.length;
    const json = await linkEnvelope([{ url: `${server.url}/eight`, size: 8 }]);
    const err = await smartreceive(json, { ...allowed(), max_payload_bytes: 7 }).catch((e) => e);
    expect(err.details.reason).toBe("too_large");
    expect(server.hits.length).toBe(before);
    const ok = await smartreceive(json, { ...allowed(), max_payload_bytes: 8 });
    expect(new TextDecoder().decode(ok.payloads[0]![1] as Uint8Array)).toBe("payload!");
  });

  it("without a size, the cap bounds the body while it is read", async () => {
    streams.length = 0;
    const json = await linkEnvelope([{ url: `${server.url}/endless`, size: null }]);
    const err = await smartreceive(json, { ...allowed(), max_payload_bytes: MiB }).catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details.reason).toBe("too_large");
    const { sent, cut } = await streams[0]!;
    expect(cut).toBe(true);
    expect(sent).toBeLessThan(OFFERED / 2);
  });

  it("max_download_bytes: declared sizes adding up past it are refused before any request", async () => {
    const before = server.hits.length;
    const json = await linkEnvelope([
      { url: `${server.url}/eight`, size: 8 },
      { url: `${server.url}/eight`, size: 8 },
    ]);
    const err = await smartreceive(json, { ...allowed(), max_download_bytes: 15 }).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "too_large", max_download_bytes: 15 });
    expect(server.hits.length).toBe(before);
    expect((await smartreceive(json, { ...allowed(), max_download_bytes: 16 })).payloads).toHaveLength(2);
  });

  it("max_download_bytes also bounds links without a size, as their bytes arrive", async () => {
    const json = await linkEnvelope([
      { url: `${server.url}/eight`, size: null },
      { url: `${server.url}/eight`, size: null },
    ]);
    const opts = { ...allowed(), max_payload_bytes: 8 };
    expect((await smartreceive(json, { ...opts, max_download_bytes: 16 })).payloads).toHaveLength(2);
    const err = await smartreceive(json, { ...opts, max_download_bytes: 12 }).catch((e) => e);
    expect(err.details.reason).toBe("too_large");
  });

  it("a download handler of the user's own gets the options, and its result is held to the same caps", async () => {
    const seen: unknown[] = [];
    const handler = async (_url: string, _r: number, _b: number, _m: number, _cid: string, opts?: { signal?: AbortSignal; expected_size?: number | null; max_bytes?: number }) => {
      seen.push({ signal: opts?.signal instanceof AbortSignal, expected_size: opts?.expected_size, max_bytes: opts?.max_bytes });
      return new Uint8Array(20);
    };
    const json = await linkEnvelope([{ url: `${server.url}/eight`, size: null }]);
    const err = await smartreceive(json, { ...allowed(), fileserver_download_handler: handler, max_payload_bytes: 10 }).catch((e) => e);
    expect(err.details.reason).toBe("too_large");
    expect(seen).toEqual([{ signal: true, expected_size: null, max_bytes: 10 }]);
  });

  it("fetchWithBackoff takes an options object: expected_size and max_bytes", async () => {
    expect(new TextDecoder().decode(await fetchWithBackoff(`${server.url}/eight`, { expected_size: 8 }))).toBe("payload!");
    const short = await fetchWithBackoff(`${server.url}/eight`, { expected_size: 7, retry: { limit: 1 } }).catch((e) => e);
    expect(short.details.reason).toBe("size_mismatch");
    const capped = await fetchWithBackoff(`${server.url}/eight`, { max_bytes: 4, retry: { limit: 1 } }).catch((e) => e);
    expect(capped.details.reason).toBe("too_large");
    // The seeds' positional form still works, with the options object last.
    expect(await fetchWithBackoff(`${server.url}/eight`, 1, 10, 10, "cid", { expected_size: 8 })).toHaveLength(8);
  });
});
