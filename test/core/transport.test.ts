import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "nats";
import { smartsend, smartreceive, DEFAULT_MAX_PAYLOAD, largestDirect, byThreshold } from "../../src/node.js";
import { startBridgeEnv, listen, randomBytes, expectSameBytes, uniqueSubject, type BridgeEnv } from "../helpers/bridge-env.js";
import { startNatsServer } from "../helpers/nats-server.js";
import { startFileServer } from "../../src/fileserver.js";

const SUBJECT = "fit.boundary";
// Fixed ids and broker_url so the envelope length depends only on the payload.
const fixed = { correlation_id: "c".repeat(36), msg_id: "m".repeat(36), sender_id: "s".repeat(36), broker_url: "nats://fit.test:4222" };

/** Bytes of the envelope for one direct binary payload of n bytes (ids have fixed lengths). */
async function envelopeBytes(n: number): Promise<number> {
  const [, json] = await smartsend(SUBJECT, [["p", new Uint8Array(n), "binary"]], { ...fixed, is_publish: false, size_threshold: Infinity });
  return Buffer.byteLength(json);
}

describe("pure selection helpers", () => {
  it("uses the seeds' strict < threshold rule", () => {
    expect(byThreshold(999, 1000)).toBe("direct");
    expect(byThreshold(1000, 1000)).toBe("link");
  });
  it("picks the largest direct payload to move", () => {
    expect(largestDirect([10, 50, 30], ["direct", "link", "direct"])).toBe(2);
    expect(largestDirect([10], ["link"])).toBe(-1);
  });
});

describe("max_payload fit rule", () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let files: Awaited<ReturnType<typeof startFileServer>>;
  let n: number;
  let limit: number;
  beforeAll(async () => {
    // A payload size (multiple of 3, so one more byte adds a base64 quantum) whose envelope is
    // exactly the server's max_payload.
    n = 30_000;
    limit = await envelopeBytes(n);
    nats = await startNatsServer({ maxPayload: limit });
    files = await startFileServer();
  });
  afterAll(async () => {
    await files?.close();
    await nats?.stop();
  });

  it("reads max_payload from the connected server", async () => {
    const nc = await connect({ servers: nats.url });
    expect(nc.info?.max_payload).toBe(limit);
    await nc.close();
  });

  it("an envelope of exactly max_payload goes direct and is delivered", async () => {
    const nc = await connect({ servers: nats.url });
    const { next } = await listen(nc, SUBJECT);
    const [e, json] = await smartsend(SUBJECT, [["p", randomBytes(n), "binary"]], { ...fixed, nats_connection: nc, fileserver_url: files.url });
    expect(Buffer.byteLength(json)).toBe(limit);
    expect(e.payloads[0]!.transport).toBe("direct");
    const got = await smartreceive(await next);
    expect(got.payloads[0]![1]).toEqual(randomBytes(n));
    await nc.close();
  });

  it("one byte more and the payload moves to link, though it is far below size_threshold", async () => {
    const nc = await connect({ servers: nats.url });
    const { next } = await listen(nc, SUBJECT);
    const [e] = await smartsend(SUBJECT, [["p", randomBytes(n + 1), "binary"]], { ...fixed, nats_connection: nc, fileserver_url: files.url });
    expect(e.payloads[0]!.transport).toBe("link");
    const got = await smartreceive(await next, { fileserver_url: files.url });
    expect(got.payloads[0]![1]).toEqual(randomBytes(n + 1));
    await nc.close();
  });

  it("with several payloads moves the largest to link until the envelope fits", async () => {
    const third = Math.floor(n / 2);
    const [e, json] = await smartsend(
      "fit.multi",
      [
        ["small", randomBytes(1000), "binary"],
        ["large", randomBytes(third + 600), "binary"],
        ["medium", randomBytes(third), "binary"],
      ],
      { broker_url: nats.url, fileserver_url: files.url, msg_id: "fit-multi" },
    );
    expect(e.payloads.map((p) => p.transport)).toEqual(["direct", "link", "direct"]);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(limit);
  });
});

describe("default server (1 MiB max_payload)", () => {
  let env: BridgeEnv;
  beforeAll(async () => {
    env = await startBridgeEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("sends a 900 KB payload by link: below the seeds' 1 MB threshold, but its base64 would overflow", async () => {
    const subject = uniqueSubject("900k");
    const { next } = await listen(env.nc, subject);
    const [e] = await smartsend(subject, [["p", randomBytes(900_000), "binary"]], { broker_url: env.nats.url, fileserver_url: env.files.url });
    expect(DEFAULT_MAX_PAYLOAD).toBe(1_048_576);
    expect(e.payloads[0]!.transport).toBe("link");
    expectSameBytes((await smartreceive(await next, { fileserver_url: env.files.url })).payloads[0]![1], randomBytes(900_000));
  });

  it("a 700 KB payload still fits direct", async () => {
    const [e, json] = await smartsend("700k", [["p", randomBytes(700_000), "binary"]], { broker_url: env.nats.url, fileserver_url: env.files.url });
    expect(e.payloads[0]!.transport).toBe("direct");
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1_048_576);
  });
});
