import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MultipartError, MultipartParser, parseHeaderParams } from "../src/devserver/multipart.js";
import { asHttpError } from "../src/devserver/receive-file.js";
import { plikUpload, startTestFileServer, type FileServer } from "./helpers/fileserver.js";

async function createUpload(base: string, body?: unknown): Promise<{ id: string; uploadToken: string; oneShot: boolean; ttl: number }> {
  const r = await fetch(`${base}/upload`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
  expect(r.status).toBe(200);
  return (await r.json()) as { id: string; uploadToken: string; oneShot: boolean; ttl: number };
}

function fileForm(bytes: Uint8Array, name: string): FormData {
  const form = new FormData();
  form.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
  return form;
}

async function download(url: string, init?: RequestInit): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const r = await fetch(url, init);
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Clean-up after an aborted or refused upload is asynchronous: poll for it instead of guessing a delay. */
async function eventuallyEmpty(dir: string, ms = 5000): Promise<string[]> {
  // A directory that is gone is empty too (an upload keeps no directory once it has no file).
  const list = () => (existsSync(dir) ? readdirSync(dir) : []);
  const end = Date.now() + ms;
  let left = list();
  while (left.length > 0 && Date.now() < end) {
    await sleep(20);
    left = list();
  }
  return left;
}

describe("dev file server (Plik subset)", () => {
  let fs: FileServer;
  beforeAll(async () => {
    fs = await startTestFileServer();
  });
  afterAll(async () => {
    await fs?.close();
  });

  it("binds loopback and reports its URL", () => {
    expect(fs.url).toBe(`http://127.0.0.1:${fs.port}`);
    expect(fs.port).toBeGreaterThan(0);
  });

  it("round-trips a multi-MB random file byte-exactly", async () => {
    const before = fs.stats();
    const data = randomBytes(7 * 1024 * 1024 + 13);
    const up = await plikUpload(fs.url, data, "big.bin", { oneShot: true });
    expect(up.fileSize).toBe(data.length);
    expect(up.fileName).toBe("big.bin");
    const got = await download(up.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(got.headers.get("content-length")).toBe(String(data.length));
    expect(got.bytes.equals(data)).toBe(true);
    // A download is counted when the server has sent its last byte, which can be a moment after
    // the client has read it.
    await vi.waitFor(() => expect(fs.stats()).toEqual({ uploads: before.uploads + 1, downloads: before.downloads + 1 }));
  });

  it("answers POST /upload with Plik's field names", async () => {
    const oneShot = await createUpload(fs.url, { OneShot: true });
    expect(oneShot).toMatchObject({ oneShot: true, ttl: 0 });
    expect(typeof oneShot.id).toBe("string");
    expect(typeof oneShot.uploadToken).toBe("string");
    expect(await createUpload(fs.url, { OneShot: false, TTL: 3600 })).toMatchObject({ oneShot: false, ttl: 3600 });
    expect(await createUpload(fs.url)).toMatchObject({ oneShot: false });
    // Go's encoding/json (real Plik) matches field names case-insensitively.
    expect(await createUpload(fs.url, { oneShot: true })).toMatchObject({ oneShot: true });
    const bad = await fetch(`${fs.url}/upload`, { method: "POST", body: "{nope" });
    expect(bad.status).toBe(400);
    const wrongType = await fetch(`${fs.url}/upload`, { method: "POST", body: JSON.stringify({ OneShot: "yes" }) });
    expect(wrongType.status).toBe(400);
  });

  it("deletes a one-shot file after its first download", async () => {
    const data = randomBytes(1000);
    const up = await plikUpload(fs.url, data, "once.bin", { oneShot: true });
    // HEAD tells the size without spending the single download.
    const head = await fetch(up.downloadUrl, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("1000");
    const first = await download(up.downloadUrl);
    expect(first.status).toBe(200);
    expect(first.bytes.equals(data)).toBe(true);
    expect((await download(up.downloadUrl)).status).toBe(404);
    await vi.waitFor(() => expect(existsSync(join(fs.dir, up.uploadId, up.fileId))).toBe(false));
  });

  it("serves a one-shot file to only one of two concurrent downloads", async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const up = await plikUpload(fs.url, data, "race.bin", { oneShot: true });
    const results = await Promise.all([download(up.downloadUrl), download(up.downloadUrl)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
    expect(results.find((r) => r.status === 200)!.bytes.equals(data)).toBe(true);
  });

  it("keeps a TTL upload for several downloads, then expires it", async () => {
    const data = randomBytes(4096);
    const up = await plikUpload(fs.url, data, "ttl.bin", { oneShot: false, ttl: 1 });
    for (let i = 0; i < 2; i++) {
      const got = await download(up.downloadUrl);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(data)).toBe(true);
    }
    await sleep(1200);
    expect((await download(up.downloadUrl)).status).toBe(404);
    const late = await fetch(`${fs.url}/file/${up.uploadId}`, {
      method: "POST",
      headers: { "X-UploadToken": up.uploadToken },
      body: fileForm(data, "late.bin"),
    });
    expect(late.status).toBe(404);
  });

  it("rejects a wrong or missing upload token with 403", async () => {
    const up = await createUpload(fs.url, { OneShot: false, TTL: 60 });
    const data = randomBytes(2 * 1024 * 1024);
    const wrong = await fetch(`${fs.url}/file/${up.id}`, { method: "POST", headers: { "X-UploadToken": "nope" }, body: fileForm(data, "a") });
    expect(wrong.status).toBe(403);
    const missing = await fetch(`${fs.url}/file/${up.id}`, { method: "POST", body: fileForm(data, "a") });
    expect(missing.status).toBe(403);
    // The connection is still usable and the right token still works.
    const ok = await fetch(`${fs.url}/file/${up.id}`, { method: "POST", headers: { "X-UploadToken": up.uploadToken }, body: fileForm(data, "a") });
    expect(ok.status).toBe(200);
  });

  it("answers 404 for unknown uploads, files and names", async () => {
    const data = randomBytes(10);
    const up = await plikUpload(fs.url, data, "known.bin");
    const unknownUpload = await fetch(`${fs.url}/file/doesnotexist`, { method: "POST", headers: { "X-UploadToken": "x" }, body: fileForm(data, "a") });
    expect(unknownUpload.status).toBe(404);
    expect((await download(`${fs.url}/file/nope/${up.fileId}/known.bin`)).status).toBe(404);
    expect((await download(`${fs.url}/file/${up.uploadId}/nope/known.bin`)).status).toBe(404);
    expect((await download(`${fs.url}/file/${up.uploadId}/${up.fileId}/other.bin`)).status).toBe(404);
    expect((await download(`${fs.url}/file/${up.uploadId}/${up.fileId}/%E0%A4%A`)).status).toBe(404);
    expect((await download(`${fs.url}/nothing/here`)).status).toBe(404);
    expect((await download(up.downloadUrl)).status).toBe(200);
  });

  it("rejects a body that is not multipart/form-data with 400", async () => {
    const up = await createUpload(fs.url);
    const r = await fetch(`${fs.url}/file/${up.id}`, {
      method: "POST",
      headers: { "X-UploadToken": up.uploadToken, "Content-Type": "application/octet-stream" },
      body: randomBytes(100),
    });
    expect(r.status).toBe(400);
    const noFileField = new FormData();
    noFileField.append("other", new Blob([randomBytes(10)]), "x");
    const r2 = await fetch(`${fs.url}/file/${up.id}`, { method: "POST", headers: { "X-UploadToken": up.uploadToken }, body: noFileField });
    expect(r2.status).toBe(400);
  });

  it.each([
    "file with spaces.bin",
    "données €  日本語 🎉.arrow",
    'quote " and \\ backslash \\\\ two.txt',
    "ends in backslash\\",
    "slash/and?query#hash&amp;%41.bin",
  ])("keeps the file name %j and serves it under its URL-encoded name", async (name) => {
    const data = randomBytes(3000);
    const up = await plikUpload(fs.url, data, name);
    expect(up.fileName).toBe(name);
    const got = await download(up.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(data)).toBe(true);
  });

  it("serves a name that is ambiguous in WHATWG multipart under the client's URL", async () => {
    // Browsers and undici send `"` in a filename as %22 but leave a literal "%22" as is, so the
    // server cannot tell them apart; the download URL built from either spelling must still work.
    const name = 'both " and %22.txt';
    const data = randomBytes(100);
    const up = await plikUpload(fs.url, data, name);
    expect(up.fileName).toBe('both " and ".txt');
    const got = await download(up.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(data)).toBe(true);
  });

  it("handles concurrent uploads to one upload and to separate uploads", async () => {
    const files = Array.from({ length: 8 }, (_, i) => randomBytes(512 * 1024 + i * 7919));
    const separate = await Promise.all(files.map((f, i) => plikUpload(fs.url, f, `c${i}.bin`)));
    const shared = await createUpload(fs.url, { OneShot: false, TTL: 60 });
    const sharedFiles = await Promise.all(
      files.map(async (f, i) => {
        const r = await fetch(`${fs.url}/file/${shared.id}`, { method: "POST", headers: { "X-UploadToken": shared.uploadToken }, body: fileForm(f, `s${i}.bin`) });
        expect(r.status).toBe(200);
        const body = (await r.json()) as { id: string; fileName: string };
        return `${fs.url}/file/${shared.id}/${body.id}/${encodeURIComponent(body.fileName)}`;
      }),
    );
    const downloads = await Promise.all([...separate.map((u) => download(u.downloadUrl)), ...sharedFiles.map((u) => download(u))]);
    downloads.forEach((d, i) => {
      expect(d.status).toBe(200);
      expect(d.bytes.equals(files[i % files.length])).toBe(true);
    });
  });

  it("accepts an empty file", async () => {
    const up = await plikUpload(fs.url, new Uint8Array(0), "empty.bin");
    expect(up.fileSize).toBe(0);
    const got = await download(up.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(0);
  });

  it("finishes an upload whose request end arrives after the closing boundary", async () => {
    // Regression: a disk write asking for backpressure in the chunk that also ended the file
    // paused the request for a 'drain' that an ended stream never emits, and a paused request
    // never emits 'end' when the chunked-encoding terminator comes in a later packet.
    const up = await createUpload(fs.url);
    const boundary = "----natsbridgeLateEnd";
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="late.bin"\r\n\r\n`);
    // More than a file stream's 16 KiB buffer, so writing it to disk asks for backpressure.
    const data = randomBytes(40 * 1024);
    const tail = Buffer.concat([data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${fs.url}/file/${up.id}`, {
        method: "POST",
        headers: { "X-UploadToken": up.uploadToken, "Content-Type": `multipart/form-data; boundary=${boundary}` },
      });
      req.on("response", (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
      req.write(head, () => setTimeout(() => req.write(tail, () => setTimeout(() => req.end(), 300)), 100));
    });
    expect(answer.status).toBe(200);
    const file = JSON.parse(answer.body) as { id: string; fileSize: number };
    expect(file.fileSize).toBe(data.length);
    const got = await download(`${fs.url}/file/${up.id}/${file.id}/late.bin`);
    expect(got.bytes.equals(data)).toBe(true);
  }, 10_000);

  it("removes the partial file when a client disconnects mid-upload", async () => {
    const up = await createUpload(fs.url);
    const boundary = "----natsbridgeAbort";
    await new Promise<void>((resolve) => {
      const req = request(`${fs.url}/file/${up.id}`, {
        method: "POST",
        headers: { "X-UploadToken": up.uploadToken, "Content-Type": `multipart/form-data; boundary=${boundary}` },
      });
      req.on("error", () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="partial.bin"\r\n\r\n`);
      req.write(randomBytes(256 * 1024), () => setTimeout(() => req.destroy(), 100));
    });
    expect(await eventuallyEmpty(join(fs.dir, up.id))).toEqual([]);
  });
});

describe("dev file server options and lifecycle", () => {
  it("rejects files above maxUploadBytes with 413 and keeps nothing", async () => {
    const fs = await startTestFileServer({ maxUploadBytes: 1024 * 1024 });
    try {
      const ok = await plikUpload(fs.url, randomBytes(1024 * 1024), "fits.bin");
      expect(ok.fileSize).toBe(1024 * 1024);
      const up = await createUpload(fs.url);
      const r = await fetch(`${fs.url}/file/${up.id}`, {
        method: "POST",
        headers: { "X-UploadToken": up.uploadToken },
        body: fileForm(randomBytes(1024 * 1024 + 1), "big.bin"),
      });
      expect(r.status).toBe(413);
      expect(await eventuallyEmpty(join(fs.dir, up.id))).toEqual([]);
    } finally {
      await fs.close();
    }
  });

  it("close() stops promptly, with an idle keep-alive connection open, and removes its temp dir", async () => {
    const fs = await startTestFileServer();
    await plikUpload(fs.url, randomBytes(100), "x.bin");
    expect(existsSync(fs.dir)).toBe(true);
    const t0 = Date.now();
    await fs.close();
    // Node keeps an idle keep-alive socket for 5 s; a close() that waited for it would take that long.
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(existsSync(fs.dir)).toBe(false);
    await expect(fetch(`${fs.url}/upload`, { method: "POST" })).rejects.toThrow();
  });

  it("uses a given dir, leaves the dir itself in place on close", async () => {
    const dir = await mkdtemp(join(tmpdir(), "natsbridge-fs-test-"));
    try {
      const fs = await startTestFileServer({ dir });
      const up = await plikUpload(fs.url, randomBytes(100), "x.bin");
      expect(existsSync(join(dir, up.uploadId, up.fileId))).toBe(true);
      await fs.close();
      expect(existsSync(dir)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("streaming multipart parser", () => {
  function parseAll(body: Buffer, boundary: string, chunkSizes: (i: number) => number) {
    const parts: { headers: Record<string, string>; data: Buffer[] }[] = [];
    const p = new MultipartParser(boundary, {
      onPartBegin: (headers) => parts.push({ headers, data: [] }),
      onPartData: (d) => parts[parts.length - 1].data.push(Buffer.from(d)),
      onPartEnd: () => undefined,
    });
    for (let off = 0, i = 0; off < body.length; i++) {
      const n = Math.max(1, chunkSizes(i));
      p.write(body.subarray(off, off + n));
      off += n;
    }
    p.end();
    return parts.map((x) => ({ headers: x.headers, data: Buffer.concat(x.data) }));
  }

  const boundary = "XyZ-boundary-123";
  // Bodies deliberately contain near-misses of the delimiter: CRLF--, a boundary without CRLF
  // in front, and a delimiter prefix cut one byte short.
  const tricky = Buffer.concat([
    Buffer.from(`\r\n--${boundary.slice(0, -1)}`),
    randomBytes(300),
    Buffer.from(`--${boundary}\r\n`),
    Buffer.from("\r\n--\r\n\r"),
    randomBytes(300),
    Buffer.from("\r\n-"),
  ]);
  const second = randomBytes(1000);
  const body = Buffer.concat([
    Buffer.from(`preamble to ignore\r\n--${boundary}\r\n`),
    Buffer.from(`Content-Disposition: form-data; name="file"; filename="a b.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    tricky,
    Buffer.from(`\r\n--${boundary}\r\n`),
    Buffer.from(`Content-Disposition: form-data; name="other"\r\n\r\n`),
    second,
    Buffer.from(`\r\n--${boundary}--\r\nepilogue\r\n--${boundary}\r\n`),
  ]);

  it.each([1, 2, 3, 7, 16, 17, 18, 64, 1000, 100000])("is byte-exact with %i-byte chunks", (size) => {
    const parts = parseAll(body, boundary, () => size);
    expect(parts).toHaveLength(2);
    expect(parts[0].headers["content-disposition"]).toContain('filename="a b.bin"');
    expect(parts[0].data.equals(tricky)).toBe(true);
    expect(parts[1].data.equals(second)).toBe(true);
  });

  it("is byte-exact with random chunking", () => {
    for (let round = 0; round < 200; round++) {
      const parts = parseAll(body, boundary, () => 1 + Math.floor(Math.random() * 40));
      expect(parts[0].data.equals(tricky)).toBe(true);
      expect(parts[1].data.equals(second)).toBe(true);
    }
  });

  it("accepts a first boundary without preamble and a part without headers", () => {
    const b = Buffer.from(`--${boundary}\r\n\r\nhello\r\n--${boundary}--`);
    const parts = parseAll(b, boundary, () => 5);
    expect(parts).toEqual([{ headers: {}, data: Buffer.from("hello") }]);
  });

  it.each([1, 7, 100, 100000])("rejects part headers over 16 KiB with %i-byte chunks", (size) => {
    const big = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${"n".repeat(20 * 1024)}"\r\n\r\nx\r\n--${boundary}--`);
    expect(() => parseAll(big, boundary, () => size)).toThrow(MultipartError);
    expect(() => parseAll(big, boundary, () => size)).toThrow(/headers too large/);
  });

  it.each([1, 3, 100000])("accepts part headers of exactly 16 KiB with %i-byte chunks", (size) => {
    const line = `Content-Disposition: form-data; name="file"; filename="`;
    const name = "n".repeat(16 * 1024 - line.length - 1);
    const b = Buffer.from(`--${boundary}\r\n${line}${name}"\r\n\r\nx\r\n--${boundary}--`);
    expect(parseAll(b, boundary, () => size)[0].data.toString()).toBe("x");
  });

  it("refuses boundaries outside RFC 2046's 1..70 characters", () => {
    const handlers = { onPartBegin: () => undefined, onPartData: () => undefined, onPartEnd: () => undefined };
    expect(() => new MultipartParser("", handlers)).toThrow(MultipartError);
    expect(() => new MultipartParser("x".repeat(71), handlers)).toThrow(MultipartError);
    expect(() => new MultipartParser("x".repeat(70), handlers)).not.toThrow();
  });

  it("keeps header and parameter names as own data, whatever they are called", () => {
    const b = Buffer.from(`--${boundary}\r\n__proto__: x\r\nConstructor: y\r\n\r\nhi\r\n--${boundary}--`);
    const [part] = parseAll(b, boundary, () => 3);
    expect(Object.keys(part.headers).sort()).toEqual(["__proto__", "constructor"]);
    expect(part.headers["__proto__"]).toBe("x");
    const { params } = parseHeaderParams('form-data; __proto__="a"; constructor=b; name="file"');
    expect(Object.keys(params).sort()).toEqual(["__proto__", "constructor", "name"]);
    expect(params["constructor"]).toBe("b");
  });

  it("rejects a truncated body", () => {
    const truncated = body.subarray(0, body.length - 40);
    expect(() => parseAll(truncated, boundary, () => 10)).toThrow(/closing boundary/);
  });

  it("parses header parameters: quoted, escaped, RFC 5987", () => {
    expect(parseHeaderParams('form-data; name="file"; filename="a \\"b\\" c.bin"')).toEqual({
      type: "form-data",
      params: { name: "file", filename: 'a "b" c.bin' },
    });
    expect(parseHeaderParams('form-data; filename="C:\\dir\\"; name="file"').params).toEqual({ filename: "C:\\dir\\", name: "file" });
    expect(parseHeaderParams("multipart/form-data; boundary=abc; charset=utf-8").params).toEqual({ boundary: "abc", charset: "utf-8" });
    expect(parseHeaderParams(`form-data; name=file; filename*=UTF-8''%C3%A9t%C3%A9.bin`).params["filename*"]).toBe("UTF-8''%C3%A9t%C3%A9.bin");
  });
});

/** A multipart head for the `file` field, as a client streaming by hand would send it. */
function fileHead(boundary: string, name = "f.bin", extraHeaders = ""): Buffer {
  return Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n${extraHeaders}\r\n`);
}

interface RawAnswer {
  status: number | "closed" | "no answer";
  body: string;
  /** Body bytes the client managed to hand to the socket before the answer (or the end). */
  written: number;
}

/**
 * POST by hand with node:http: write `head`, then up to `fill` zero bytes in 64 KiB chunks (with
 * backpressure), then `tail` and end — unless `stall` is set, in which case it stops writing after
 * `fill` and waits. Resolves with the answer, or "no answer" if none comes within `waitMs` after
 * the client stopped writing. It stops writing once the answer is in.
 */
function rawPost(
  url: string,
  headers: Record<string, string | number>,
  opts: { head?: Buffer; fill?: number; tail?: Buffer; stall?: boolean; waitMs?: number },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let written = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (a: Omit<RawAnswer, "written">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...a, written });
    };
    const waitForAnswer = () => (timer = setTimeout(() => done({ status: "no answer", body: "" }), opts.waitMs ?? 5000));
    const req = request(url, { method: "POST", headers });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      const answered = () => done({ status: res.statusCode!, body });
      res.on("end", answered);
      res.on("error", answered);
    });
    req.on("error", () => done({ status: "closed", body: "" }));
    if (opts.head) req.write(opts.head);
    const chunk = Buffer.alloc(64 * 1024);
    const fill = opts.fill ?? 0;
    const pump = () => {
      while (!settled && written < fill) {
        const n = Math.min(chunk.length, fill - written);
        written += n;
        if (!req.write(chunk.subarray(0, n))) return void req.once("drain", pump);
      }
      if (settled) return;
      if (!opts.stall) req.end(opts.tail);
      waitForAnswer();
    };
    pump();
  });
}

/** A dev file server for one test, closed whatever the test does. */
async function withFileServer(opts: Parameters<typeof startTestFileServer>[0], f: (fs: FileServer) => Promise<void>): Promise<void> {
  const fs = await startTestFileServer(opts);
  try {
    await f(fs);
  } finally {
    await fs.close();
  }
}

const multipartType = (boundary: string) => ({ "Content-Type": `multipart/form-data; boundary=${boundary}` });

describe("dev file server: browser origins (CORS)", () => {
  const app = "http://app.example.test:5173";
  const evil = "http://evil.example.test";

  it("sends no CORS headers and refuses requests from browser origins by default", async () => {
    await withFileServer({}, async (fs) => {
      const pre = await fetch(`${fs.url}/upload`, { method: "OPTIONS", headers: { Origin: evil, "Access-Control-Request-Method": "POST" } });
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      expect(pre.status).toBe(403);
      // A "simple" cross-origin POST needs no preflight: the page cannot read the answer, but the
      // server would still act on it, so it is refused outright.
      const created = await fetch(`${fs.url}/upload`, { method: "POST", headers: { Origin: evil, "Content-Type": "text/plain" }, body: "{}" });
      expect(created.status).toBe(403);
      expect(created.headers.get("access-control-allow-origin")).toBeNull();
      // Clients that are not browsers send no Origin and are served as before.
      const up = await plikUpload(fs.url, randomBytes(10), "a.bin", { oneShot: true });
      const read = await fetch(up.downloadUrl, { headers: { Origin: evil } });
      expect(read.status).toBe(403);
      expect(read.headers.get("access-control-allow-origin")).toBeNull();
      // The refused read did not spend the one-shot file.
      const got = await download(up.downloadUrl);
      expect(got.status).toBe(200);
      expect(got.headers.get("access-control-allow-origin")).toBeNull();
    });
  });

  it.each([
    ["a list", [app]],
    ["a predicate", (o: string) => o === app],
  ])("echoes an origin allowed by %s, with Vary: Origin, and refuses others", async (_, origins) => {
    await withFileServer({ cors: { origins } }, async (fs) => {
      const pre = await fetch(`${fs.url}/file/someid`, {
        method: "OPTIONS",
        headers: { Origin: app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-uploadtoken" },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(app);
      expect(pre.headers.get("vary")).toMatch(/\bOrigin\b/);
      expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS, HEAD");
      expect(pre.headers.get("access-control-allow-headers")).toBe("Content-Type, X-UploadToken");
      const up = await plikUpload(fs.url, randomBytes(5), "cors.bin");
      const got = await fetch(up.downloadUrl, { headers: { Origin: app } });
      expect(got.status).toBe(200);
      expect(got.headers.get("access-control-allow-origin")).toBe(app);
      expect(got.headers.get("access-control-expose-headers")).toBe("Content-Length");
      expect(got.headers.get("vary")).toMatch(/\bOrigin\b/);
      await got.arrayBuffer();
      const notFound = await fetch(`${fs.url}/file/a/b/c`, { headers: { Origin: app } });
      expect(notFound.status).toBe(404);
      expect(notFound.headers.get("access-control-allow-origin")).toBe(app);
      const other = await fetch(up.downloadUrl, { headers: { Origin: evil } });
      expect(other.status).toBe(403);
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    });
  });
});

describe("dev file server: limits", () => {
  const boundary = "----natsbridgeLimits";
  const multipart = multipartType(boundary);

  it("caps a file at 100 MiB by default and refuses a larger one mid-stream with 413", async () => {
    await withFileServer({}, async (fs) => {
      const up = await createUpload(fs.url);
      const cap = 100 * 1024 * 1024;
      // Chunked, so the server cannot know the size in advance; the client would go on to 1 GiB.
      const answer = await rawPost(`${fs.url}/file/${up.id}`, { ...multipart, "X-UploadToken": up.uploadToken }, { head: fileHead(boundary), fill: 1024 * 1024 * 1024 });
      expect(answer.status).toBe(413);
      // The server stopped reading soon after the cap instead of swallowing the rest.
      expect(answer.written).toBeLessThan(cap + 64 * 1024 * 1024);
      expect(await eventuallyEmpty(fs.dir)).toEqual([]);
    });
  }, 60_000);

  it("refuses a body whose Content-Length is over the cap before reading it", async () => {
    await withFileServer({ maxUploadBytes: 1024 * 1024 }, async (fs) => {
      const up = await createUpload(fs.url);
      const answer = await rawPost(
        `${fs.url}/file/${up.id}`,
        { ...multipart, "X-UploadToken": up.uploadToken, "Content-Length": 10 * 1024 * 1024 * 1024 },
        { head: fileHead(boundary), stall: true },
      );
      expect(answer.status).toBe(413);
    });
  });

  it("creates no directory for an upload until a file arrives", async () => {
    await withFileServer({}, async (fs) => {
      await Promise.all(Array.from({ length: 50 }, () => createUpload(fs.url)));
      expect(readdirSync(fs.dir)).toEqual([]);
    });
  });

  it("removes a one-shot upload's directory once its file was downloaded", async () => {
    await withFileServer({}, async (fs) => {
      const up = await plikUpload(fs.url, randomBytes(100), "once.bin", { oneShot: true });
      expect(existsSync(join(fs.dir, up.uploadId))).toBe(true);
      expect((await download(up.downloadUrl)).status).toBe(200);
      expect(await eventuallyEmpty(fs.dir)).toEqual([]);
    });
  });

  it("refuses uploads beyond maxUploads with 507, and frees the slot of one that got no file", async () => {
    await withFileServer({ maxUploads: 2, timeouts: { emptyUploadMs: 300 } }, async (fs) => {
      await createUpload(fs.url);
      await createUpload(fs.url);
      const third = await fetch(`${fs.url}/upload`, { method: "POST", body: "{}" });
      expect(third.status).toBe(507);
      // The two empty uploads expire, so new ones are accepted again.
      await vi.waitFor(
        async () => {
          const r = await fetch(`${fs.url}/upload`, { method: "POST", body: "{}" });
          expect(r.status).toBe(200);
        },
        { timeout: 5000, interval: 100 },
      );
    });
  });
});

describe("dev file server: timeouts", () => {
  const boundary = "----natsbridgeStall";
  const multipart = multipartType(boundary);

  it("answers 408 to an upload that stalls mid-body and removes the partial file", async () => {
    await withFileServer({ timeouts: { idleMs: 300 } }, async (fs) => {
      const up = await createUpload(fs.url);
      const answer = await rawPost(`${fs.url}/file/${up.id}`, { ...multipart, "X-UploadToken": up.uploadToken }, { head: fileHead(boundary), fill: 200 * 1024, stall: true });
      expect(answer.status).toBe(408);
      expect(await eventuallyEmpty(fs.dir)).toEqual([]);
    });
  });

  it("closes a connection whose request headers never finish", async () => {
    await withFileServer({ timeouts: { headersMs: 300 } }, async (fs) => {
      const closed = await new Promise<boolean>((resolve) => {
        const s = connect(fs.port, "127.0.0.1", () => s.write("POST /upload HTTP/1.1\r\nHost: x\r\n"));
        const t = setTimeout(() => {
          s.destroy();
          resolve(false);
        }, 5000);
        s.on("data", () => undefined);
        s.on("error", () => undefined);
        s.on("close", () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      expect(closed).toBe(true);
    });
  });
});

describe("dev file server: malformed uploads get a 4xx", () => {
  let fs: FileServer;
  beforeAll(async () => {
    fs = await startTestFileServer();
  });
  afterAll(async () => {
    await fs?.close();
  });

  /** Post a one-file multipart body built by hand (so it can break the rules) to a new upload. */
  async function postFile(boundary: string, extraHeaders = ""): Promise<number> {
    const up = await createUpload(fs.url);
    const body = Buffer.concat([fileHead(boundary, "f.bin", extraHeaders), Buffer.from(`data\r\n--${boundary}--\r\n`)]);
    const r = await fetch(`${fs.url}/file/${up.id}`, { method: "POST", headers: { "X-UploadToken": up.uploadToken, ...multipartType(boundary) }, body });
    await r.arrayBuffer();
    return r.status;
  }

  it("refuses a multipart boundary longer than 70 characters with 400", async () => {
    expect(await postFile("b".repeat(70))).toBe(200);
    expect(await postFile("b".repeat(71))).toBe(400);
  });

  it("refuses part headers over 16 KiB with 400 even when they arrive in one piece", async () => {
    expect(await postFile("----natsbridgeBigHeader", `X-Padding: ${"p".repeat(20 * 1024)}\r\n`)).toBe(400);
  });

  it("answers 404, not 500, when the upload expires while its file is being posted", async () => {
    const up = await createUpload(fs.url, { OneShot: false, TTL: 1 });
    const b = "----natsbridgeExpire";
    const req = request(`${fs.url}/file/${up.id}`, {
      method: "POST",
      headers: { "X-UploadToken": up.uploadToken, ...multipartType(b) },
    });
    const answer = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", reject);
    });
    // The preamble goes now; the file part only after the TTL passed and the sweep (every second) ran.
    req.write("preamble\r\n");
    await sleep(2500);
    req.end(Buffer.concat([fileHead(b), Buffer.from(`data\r\n--${b}--\r\n`)]));
    expect(await answer).toBe(404);
    expect(await eventuallyEmpty(join(fs.dir, up.id))).toEqual([]);
  }, 10_000);
});

describe("dev file server: error statuses", () => {
  it("maps a malformed body to 400 and a full disk to 507, and leaves other errors as they are (500)", () => {
    expect(asHttpError(new MultipartError("bad"))).toMatchObject({ status: 400, message: "bad" });
    for (const code of ["ENOSPC", "EDQUOT"]) {
      expect(asHttpError(Object.assign(new Error("no space"), { code }))).toMatchObject({ status: 507 });
    }
    const other = Object.assign(new Error("io"), { code: "EIO" });
    expect(asHttpError(other)).toBe(other);
  });
});

describe("dev file server: options and CLI", () => {
  it.each([
    [{ maxUploadBytes: -1 }, /maxUploadBytes/],
    [{ maxUploads: 0 }, /maxUploads/],
    [{ timeouts: { idleMs: 1.5 } }, /idleMs/],
    [{ timeouts: { headersMs: 20_000, requestMs: 10_000 } }, /headersMs/],
    [{ cors: { origins: ["localhost:5173"] } }, /not an origin/],
  ])("refuses the option %j", async (opts, message) => {
    await expect(startTestFileServer(opts as Parameters<typeof startTestFileServer>[0])).rejects.toThrow(message);
  });

  it("takes --max-upload-bytes, --max-uploads and --cors-origin on the command line", async () => {
    const app = "http://localhost:5173";
    const child = spawn(process.execPath, ["--import", "tsx", "src/devserver/cli.ts", "--max-upload-bytes", "10", "--max-uploads", "1", "--cors-origin", `${app}/`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once("exit", (code) => reject(new Error(`cli exited with ${code}`)));
      });
      const pre = await fetch(`${url}/upload`, { method: "OPTIONS", headers: { Origin: app, "Access-Control-Request-Method": "POST" } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(app);
      const up = await createUpload(url);
      const tooBig = await fetch(`${url}/file/${up.id}`, { method: "POST", headers: { "X-UploadToken": up.uploadToken }, body: fileForm(randomBytes(11), "x") });
      expect(tooBig.status).toBe(413);
      expect((await fetch(`${url}/upload`, { method: "POST", body: "{}" })).status).toBe(507);
    } finally {
      child.kill("SIGTERM");
    }
  }, 30_000);
});

describe("dev file server under clients that hang up (found by npm run fuzz)", () => {
  it("a download the client abandons before the file opens does not crash the server", async () => {
    const fs = await startTestFileServer();
    try {
      const up = await plikUpload(fs.url, randomBytes(200_000), "keep.bin", { oneShot: false, ttl: 60 });
      const { pathname } = new URL(up.downloadUrl);
      // Many clients that send a request and close at once: the server sees the close while the
      // file is still opening. Before the fix the late "open" wrote headers twice and threw.
      const errors: unknown[] = [];
      const onError = (e: unknown) => errors.push(e);
      process.on("uncaughtException", onError);
      try {
        await Promise.all(
          Array.from({ length: 200 }, () =>
            new Promise<void>((resolve) => {
              const s = connect(fs.port, "127.0.0.1", () => {
                s.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\n\r\n`);
                setImmediate(() => s.destroy());
              });
              s.on("close", () => resolve());
              s.on("error", () => resolve());
            }),
          ),
        );
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        process.off("uncaughtException", onError);
      }
      expect(errors).toEqual([]);
      const res = await fetch(up.downloadUrl);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(200_000);
    } finally {
      await fs.close();
    }
  });
});
