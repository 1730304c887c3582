/**
 * Issue 7, retry as options: `retry: { limit, statuses, base_delay, max_delay, jitter }` for link
 * downloads, with the seeds' positional max_retries/base_delay/max_delay still honoured, and the
 * seeds' trace lines ("Attempt N failed", "Successfully fetched") when logging is on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithBackoff, smartreceive } from "../../src/node.js";
import { resolveRetry, retryDelay } from "../../src/core/claimcheck/retry.js";
import { linkEnvelope, startHttpServer, type TestHttpServer } from "../helpers/http-server.js";

let server: TestHttpServer;
/** Per path: how many more times to fail, and with which status. */
const failing = new Map<string, { times: number; status: number }>();
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    const f = failing.get(req.url ?? "");
    if (f && f.times > 0) {
      f.times--;
      return void res.writeHead(f.status).end();
    }
    res.writeHead(200).end("12345678");
  });
});
afterAll(() => server?.close());

const hitsOf = (path: string) => server.hits.filter((h) => h === path).length;
const receive = async (path: string, opts: object) => smartreceive(await linkEnvelope([{ url: `${server.url}${path}`, size: 8 }]), { allowed_origins: [server.url], ...opts });

describe("retry options", () => {
  it("statuses: a list makes other statuses retryable, and the default ones not", async () => {
    failing.set("/teapot", { times: 2, status: 418 });
    const got = await receive("/teapot", { retry: { statuses: [418], base_delay: 5 } });
    expect(got.payloads).toHaveLength(1);
    expect(hitsOf("/teapot")).toBe(3);

    failing.set("/busy", { times: 5, status: 503 });
    const err = await receive("/busy", { retry: { statuses: [418], base_delay: 5 } }).catch((e) => e);
    expect(err.details).toMatchObject({ reason: "http_status", status: 503, attempts: 1 });
    expect(hitsOf("/busy")).toBe(1);
  });

  it("statuses as a predicate; by default 418 is not retried", async () => {
    failing.set("/teapot2", { times: 1, status: 418 });
    const err = await receive("/teapot2", { base_delay: 5 }).catch((e) => e);
    expect(err.details).toMatchObject({ status: 418, attempts: 1 });
    failing.set("/teapot3", { times: 1, status: 418 });
    const got = await receive("/teapot3", { retry: { statuses: (s: number) => s === 418, base_delay: 5 } });
    expect(got.payloads).toHaveLength(1);
    expect(hitsOf("/teapot3")).toBe(2);
  });

  it("retry.limit wins over the positional max_retries, which still works on its own", async () => {
    failing.set("/down", { times: 100, status: 503 });
    const err = await receive("/down", { max_retries: 10, base_delay: 5, retry: { limit: 2 } }).catch((e) => e);
    expect(err.details.attempts).toBe(2);
    expect(hitsOf("/down")).toBe(2);
    const err2 = await receive("/down", { max_retries: 3, base_delay: 5, max_delay: 5 }).catch((e) => e);
    expect(err2.details.attempts).toBe(3);
    expect(hitsOf("/down")).toBe(5);
  });

  it("delays double from base_delay up to max_delay; jitter shortens each by up to its fraction", () => {
    const r = resolveRetry({ base_delay: 100, max_delay: 300 });
    expect([1, 2, 3, 4].map((n) => retryDelay(r, n))).toEqual([100, 200, 300, 300]);
    const j = resolveRetry({ base_delay: 100, max_delay: 300, jitter: 0.5 });
    expect(retryDelay(j, 2, () => 0)).toBe(200);
    expect(retryDelay(j, 2, () => 1)).toBe(100);
    expect(retryDelay(j, 2, () => 0.5)).toBe(150);
  });

  it("bad retry options are INVALID_OPTIONS", async () => {
    for (const retry of [{ limit: -1 }, { jitter: 2 }, { statuses: ["500"] }, { base_delay: Number.NaN }]) {
      const err = await receive("/f", { retry }).catch((e) => e);
      expect(err.code, JSON.stringify(retry)).toBe("INVALID_OPTIONS");
    }
  });
});

describe("download trace lines", () => {
  it("smartreceive with logging on shows the seeds' attempt lines under its correlation id", async () => {
    failing.set("/flaky", { times: 1, status: 503 });
    const lines: string[] = [];
    await receive("/flaky", { base_delay: 5, log: (l: string) => lines.push(l) });
    const url = `${server.url}/flaky`;
    expect(lines).toContainEqual(expect.stringMatching(/\[Correlation: links-cid\] Attempt 1 failed: HTTP 503$/));
    expect(lines).toContainEqual(expect.stringContaining(`[Correlation: links-cid] Successfully fetched data from ${url} on attempt 2`));
  });

  it("fetchWithBackoff on its own logs with { log }", async () => {
    failing.set("/flaky2", { times: 1, status: 500 });
    const lines: string[] = [];
    await fetchWithBackoff(`${server.url}/flaky2`, { correlation_id: "own", retry: { base_delay: 5 }, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes("[Correlation: own] Attempt 1 failed: HTTP 500"))).toBe(true);
    expect(lines.some((l) => l.includes("Successfully fetched"))).toBe(true);
  });
});
