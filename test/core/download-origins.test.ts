/**
 * Issue 8 item 3: a receiver fetches only origins it was told to trust, at most `max_links` links
 * and `max_concurrent_downloads` at once, and its error messages do not tell a sender what the
 * target answered. Real HTTP servers on 127.0.0.1; nothing else is ever contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBridge, isNonPublicHost, nodeRuntime, smartreceive, DEFAULT_MAX_LINKS } from "../../src/node.js";
import { linkEnvelope, startHttpServer, type TestHttpServer } from "../helpers/http-server.js";

let server: TestHttpServer;
let held: Array<() => void> = [];
let maxOpen = 0;
let quiet: ReturnType<typeof setTimeout> | undefined;
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    if (req.url?.startsWith("/held")) {
      // Held until arrivals pause, so every download the receiver runs at once is open together.
      maxOpen = Math.max(maxOpen, server.open);
      held.push(() => res.writeHead(200).end("12345678"));
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        const go = held;
        held = [];
        go.forEach((f) => f());
      }, 100);
      return;
    }
    if (req.url === "/500") return void res.writeHead(500).end("internal detail");
    if (req.url === "/403") return void res.writeHead(403).end();
    res.writeHead(200).end("12345678");
  });
});
afterAll(() => server?.close());

/** The error the call failed with, and how many requests the server saw meanwhile. */
const hitsDuring = async (f: () => Promise<unknown>): Promise<[any, number]> => {
  const before = server.hits.length;
  const out = await f().catch((e) => e);
  return [out, server.hits.length - before];
};

describe("origin policy", () => {
  it("by default a link to an origin nobody named is refused before any request", async () => {
    const json = await linkEnvelope([{ url: `${server.url}/admin/secret`, size: null }]);
    const [err, hits] = await hitsDuring(() => smartreceive(json));
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect(err.details).toMatchObject({ reason: "origin_not_allowed", origin: server.url });
    expect(hits).toBe(0);
  });

  it("the file server named in fileserver_url, or an origin in allowed_origins, is fetched", async () => {
    const json = await linkEnvelope([{ url: `${server.url}/f`, size: 8 }]);
    expect((await smartreceive(json, { fileserver_url: `${server.url}/some/path` })).payloads).toHaveLength(1);
    expect((await smartreceive(json, { allowed_origins: [`${server.url}/`] })).payloads).toHaveLength(1);
    expect((await smartreceive(json, { allowed_origins: server.url })).payloads).toHaveLength(1);
  });

  it("other spellings of a loopback address are not the named origin, and a predicate cannot open them", async () => {
    const anything = () => true;
    for (const host of [`[::ffff:7f00:1]:${server.port}`, `[::ffff:127.0.0.1]:${server.port}`, `[::1]:${server.port}`, `localhost:${server.port}`]) {
      const json = await linkEnvelope([{ url: `http://${host}/admin/purge-cache`, size: null }]);
      const [err, hits] = await hitsDuring(() => smartreceive(json, { allowed_origins: [server.url, anything] }));
      expect(err.details?.reason, host).toBe("origin_not_allowed");
      expect(hits, host).toBe(0);
    }
    // Spellings the URL parser turns into the named origin are that origin.
    const same = await linkEnvelope([{ url: `http://0x7f.1:${server.port}/f`, size: 8 }]);
    expect((await smartreceive(same, { allowed_origins: [server.url] })).payloads).toHaveLength(1);
  });

  it("a predicate sees the URL and decides for public hosts; its errors are the caller's (INVALID_OPTIONS)", async () => {
    const seen: string[] = [];
    const json = await linkEnvelope([{ url: "https://files.example.invalid/file/a/b/c", size: 1 }]);
    const err = await smartreceive(json, { allowed_origins: (u) => (seen.push(u.href), false) }).catch((e) => e);
    expect(err.details.reason).toBe("origin_not_allowed");
    expect(seen).toEqual(["https://files.example.invalid/file/a/b/c"]);
    const bad = await smartreceive(json, { allowed_origins: () => { throw new Error("bug"); } }).catch((e) => e);
    expect(bad.code).toBe("INVALID_OPTIONS");
  });

  it("a bridge made with a fileserver_url allows that origin for its receives", async () => {
    const bridge = createBridge({ fileserver_url: server.url });
    const json = await linkEnvelope([{ url: `${server.url}/f`, size: 8 }]);
    expect((await bridge.smartreceive(json)).payloads).toHaveLength(1);
    expect((await smartreceive(json).catch((e) => e)).details.reason).toBe("origin_not_allowed");
  });
});

describe("non-public addresses", () => {
  const host = (u: string) => new URL(u).hostname;
  it.each([
    "http://127.0.0.1/", "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://[::1]/", "http://[::]/",
    "http://[::ffff:7f00:1]/", "http://[::ffff:169.254.169.254]/", "http://[::127.0.0.1]/", "http://169.254.169.254/",
    "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/", "http://localhost/", "http://api.localhost./", "http://224.0.0.1/", "http://255.255.255.255/",
  ])("%s is not public", (u) => expect(isNonPublicHost(host(u))).toBe(true));
  it.each(["http://8.8.8.8/", "http://172.32.0.1/", "http://[2606:4700::1111]/", "http://[::ffff:8.8.8.8]/", "http://files.example.com/", "http://[2002:808:808::]/"])(
    "%s is public",
    (u) => expect(isNonPublicHost(host(u))).toBe(false),
  );
});

describe("bounds on links", () => {
  it(`more than max_links links (default ${DEFAULT_MAX_LINKS}) are refused before any request`, async () => {
    const json = await linkEnvelope(Array.from({ length: DEFAULT_MAX_LINKS + 1 }, () => ({ url: `${server.url}/f`, size: 8 })));
    const [err, hits] = await hitsDuring(() => smartreceive(json, { allowed_origins: [server.url] }));
    expect(err.details).toMatchObject({ reason: "too_many_links", links: DEFAULT_MAX_LINKS + 1, max_links: DEFAULT_MAX_LINKS });
    expect(hits).toBe(0);
    const [err2, hits2] = await hitsDuring(() => smartreceive(json, { allowed_origins: [server.url], max_links: 3 }));
    expect(err2.details.reason).toBe("too_many_links");
    expect(hits2).toBe(0);
  });

  it("at most max_concurrent_downloads (default 4) run at once", async () => {
    const json = await linkEnvelope(Array.from({ length: 10 }, (_, i) => ({ url: `${server.url}/held/${i}`, size: 8 })));
    maxOpen = 0;
    expect((await smartreceive(json, { allowed_origins: [server.url] })).payloads).toHaveLength(10);
    expect(maxOpen).toBeLessThanOrEqual(4);
    expect(maxOpen).toBeGreaterThanOrEqual(1);
    maxOpen = 0;
    expect((await smartreceive(json, { allowed_origins: [server.url], max_concurrent_downloads: 2 })).payloads).toHaveLength(10);
    expect(maxOpen).toBeLessThanOrEqual(2);
  });
});

describe("error messages do not say what the target answered", () => {
  it("a closed port, an HTTP 500 and an HTTP 403 give the same message; details tell them apart", async () => {
    const opts = { allowed_origins: [server.url, "http://127.0.0.1:1"], max_retries: 1 };
    const fail = async (url: string) => smartreceive(await linkEnvelope([{ url, size: 8, dataname: "d" }]), opts).catch((e) => e);
    const closed = await fail("http://127.0.0.1:1/x");
    const e500 = await fail(`${server.url}/500`);
    const e403 = await fail(`${server.url}/403`);
    for (const e of [closed, e500, e403]) expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e500.message).toBe(closed.message);
    expect(e403.message).toBe(closed.message);
    expect(closed.message).not.toMatch(/fetch failed|ECONNREFUSED|500|403|internal detail/);
    expect(closed.details.reason).toBe("network");
    expect(e500.details).toMatchObject({ reason: "http_status", status: 500 });
    expect(e403.details).toMatchObject({ reason: "http_status", status: 403 });
  });
});
