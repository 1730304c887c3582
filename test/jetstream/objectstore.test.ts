import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableFromArrays, type Table } from "apache-arrow";
import { connect, type Msg, type NatsConnection } from "nats";
import {
  createBridge,
  createObjectStoreClaims,
  objectLink,
  parseObjectLink,
  bucketStreamName,
  NatsBridgeError,
  type Bridge,
  type SendTuple,
} from "../../src/node.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, uniqueSubject, expectSameBytes } from "../helpers/bridge-env.js";

let nats: NatsServerHandle;
const conns: NatsConnection[] = [];
const bridges: Bridge[] = [];
const open = async () => {
  const nc = await connect({ servers: nats.url });
  conns.push(nc);
  return nc;
};

beforeAll(async () => {
  nats = await startNatsServer({ newest: true });
});
afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await Promise.all(conns.map((c) => c.close()));
  await nats?.stop();
});

/** A sender or receiver bridge whose claim-check is bucket `bucket`, over its own connection. */
async function objectBridge(bucket: string, more: Parameters<typeof createObjectStoreClaims>[0] extends infer O ? Partial<O> : never = {}) {
  const nc = await open();
  const claims = createObjectStoreClaims({ connection: nc, bucket, ttl_ms: 60_000, ...more });
  const bridge = createBridge({ upload: claims.upload, download: claims.download, nats_connection: nc, size_threshold: 0 });
  bridges.push(bridge);
  return { nc, claims, bridge };
}

async function subscribeN(nc: NatsConnection, subject: string, n: number): Promise<Promise<Msg>[]> {
  const subs = Array.from({ length: n }, () => nc.subscribe(subject, { max: 1 }));
  await nc.flush();
  return subs.map(async (s) => {
    for await (const m of s) return m;
    throw new Error("subscription ended");
  });
}

const rows = (t: Table) => t.toArray().map((r) => r.toJSON());
const big = randomBytes(300_000, 7); // several 128 KiB chunks

const tuples = (): SendTuple[] => [
  ["text", "héllo 👋", "text"],
  ["dict", { a: 1, b: [true, null, "x"] }, "dictionary"],
  ["rows", [{ n: "A", v: 1 }], "jsontable"],
  ["arrow", tableFromArrays({ id: Int32Array.from([1, 2]) }), "arrowtable"],
  ["img", randomBytes(5000, 2), "image"],
  ["snd", randomBytes(3000, 3), "audio"],
  ["vid", randomBytes(7000, 4), "video"],
  ["bin", big, "binary"],
  ["empty", new Uint8Array(0), "binary"],
];

describe("Object Store claim-check", () => {
  it("round-trips every payload type by natsobj: link to 3 subscribers, each reading through its own connection", async () => {
    const sender = await objectBridge("fanout");
    const receivers = await Promise.all([1, 2, 3].map(() => objectBridge("fanout")));
    const subject = uniqueSubject("os");
    const arriving = (await Promise.all(receivers.map((r) => subscribeN(r.nc, subject, 1)))).map((p) => p[0]!);

    const [sent] = await sender.bridge.smartsend(subject, tuples());
    for (const p of sent.payloads) {
      expect(p.transport).toBe("link");
      const link = parseObjectLink(p.data);
      expect(link.bucket).toBe("fanout");
      expect(link.digest).toMatch(/^SHA-256=/);
    }
    // Every receiver reads every object: the first read does not use it up.
    const msgs = await Promise.all(arriving);
    expect(msgs).toHaveLength(3);
    for (const [i, msg] of msgs.entries()) {
      const got = await receivers[i]!.bridge.smartreceive(msg);
      const byName = Object.fromEntries(got.payloads.map(([n, v]) => [n, v]));
      expect(byName.text).toBe("héllo 👋");
      expect(byName.dict).toEqual({ a: 1, b: [true, null, "x"] });
      expect(byName.rows).toEqual([{ n: "A", v: 1 }]);
      expect(rows(byName.arrow as Table)).toEqual([{ id: 1 }, { id: 2 }]);
      expectSameBytes(byName.img, randomBytes(5000, 2));
      expectSameBytes(byName.snd, randomBytes(3000, 3));
      expectSameBytes(byName.vid, randomBytes(7000, 4));
      expectSameBytes(byName.bin, big);
      expectSameBytes(byName.empty, new Uint8Array(0));
      // Plain Uint8Arrays like every byte array natsbridge hands out, not the client's Buffers.
      for (const k of ["img", "bin", "empty"]) expect(Object.getPrototypeOf(byName[k])).toBe(Uint8Array.prototype);
    }
  });

  it("creates the bucket's stream with the TTL, replicas and capacity asked for", async () => {
    const { nc, claims } = await objectBridge("sized", { ttl_ms: 90_000, max_bytes: 10_000_000, storage: "memory" });
    expect(await claims.ensureBucket()).toBe("OBJ_sized");
    const info = await (await nc.jetstreamManager()).streams.info(bucketStreamName("sized"));
    expect(info.config.max_age).toBe(90_000 * 1_000_000);
    expect(info.config.max_bytes).toBe(10_000_000);
    expect(info.config.num_replicas).toBe(1);
    expect(info.config.storage).toBe("memory");
  });

  it("refuses an upload into a missing bucket when it may not create one", async () => {
    const { bridge } = await objectBridge("never-made", { create: false });
    const err = await bridge.smartsend("os.nocreate", [["x", "data", "text"]]).catch((e) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("UPLOAD_FAILED");
  });

  describe("digests", () => {
    it("refuses an object whose digest differs from the link's (the object was replaced)", async () => {
      const { nc, bridge } = await objectBridge("digest");
      const [sent] = await bridge.smartsend("os.d1", [["bin", randomBytes(1000, 1), "binary"]], { is_publish: false });
      const { name } = parseObjectLink(sent.payloads[0]!.data);
      // Same name, other bytes: the store is consistent, but not what the envelope named.
      const os = await nc.jetstream().views.os("digest");
      await os.putBlob({ name }, randomBytes(1000, 99));
      const err = await bridge.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      expect(err.details).toMatchObject({ reason: "digest_mismatch", retryable: false });
    });

    it("refuses an object whose chunks no longer match the store's digest", async () => {
      const { nc, bridge } = await objectBridge("corrupt");
      const bytes = randomBytes(2000, 5);
      const [sent] = await bridge.smartsend("os.d2", [["bin", bytes, "binary"]], { is_publish: false });
      const { name } = parseObjectLink(sent.payloads[0]!.data);
      const os = await nc.jetstream().views.os("corrupt");
      const info = (await os.info(name))!;
      // Swap the one chunk for bytes of the same length: only the SHA-256 can tell.
      const chunks = `$O.corrupt.C.${info.nuid}`;
      await (await nc.jetstreamManager()).streams.purge("OBJ_corrupt", { filter: chunks });
      const flipped = bytes.slice();
      flipped[0]! ^= 0xff;
      await nc.jetstream().publish(chunks, flipped);
      const err = await bridge.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      expect(err.details).toMatchObject({ reason: "digest_mismatch" });
    });

    it("refuses a link whose digest was edited", async () => {
      const { bridge } = await objectBridge("edited");
      const [sent] = await bridge.smartsend("os.d3", [["t", "text", "text"]], { is_publish: false });
      const link = parseObjectLink(sent.payloads[0]!.data);
      const other = `SHA-256=${"A".repeat(43)}=`;
      sent.payloads[0]!.data = objectLink({ ...link, digest: other });
      const err = await bridge.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      expect(err.details).toMatchObject({ reason: "digest_mismatch" });
    });
  });

  describe("what a receiver refuses", () => {
    it("a peer without the Object Store handler gets INVALID_ENVELOPE, not a hang or a request", async () => {
      const { bridge } = await objectBridge("plain-peer");
      const [sent] = await bridge.smartsend("os.p", [["t", "text", "text"]], { is_publish: false });
      let called = 0;
      const plain = createBridge({ download: async () => (called++, new Uint8Array(0)) });
      const err = await plain.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("INVALID_ENVELOPE");
      expect(err.message).toMatch(/natsobj:/);
      expect(called).toBe(0);
    });

    it("a bucket the receiver does not read", async () => {
      const sender = await objectBridge("secret");
      const receiver = await objectBridge("public");
      const [sent] = await sender.bridge.smartsend("os.b", [["t", "text", "text"]], { is_publish: false });
      const err = await receiver.bridge.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("INVALID_ENVELOPE");
      expect(err.message).toMatch(/secret/);
    });

    it("an object that is gone (expired or deleted)", async () => {
      const { nc, bridge } = await objectBridge("gone");
      const [sent] = await bridge.smartsend("os.g", [["t", "text", "text"]], { is_publish: false });
      await (await nc.jetstream().views.os("gone")).delete(parseObjectLink(sent.payloads[0]!.data).name);
      const err = await bridge.smartreceive(sent, { max_retries: 1 }).catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      expect(err.details).toMatchObject({ reason: "not_found", retryable: false });
    });

    it("an object larger than max_object_bytes, before reading it", async () => {
      const sender = await objectBridge("limits");
      const receiver = await objectBridge("limits", { max_object_bytes: 1000 });
      const [sent] = await sender.bridge.smartsend("os.l", [["b", randomBytes(5000, 1), "binary"]], { is_publish: false });
      const err = await receiver.bridge.smartreceive(sent).catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      expect(err.details).toMatchObject({ reason: "too_large" });
    });

    it("an http link when the handler has no fallback; with one, the fallback gets it", async () => {
      const nc = await open();
      const bare = createObjectStoreClaims({ connection: nc });
      const err = await bare.download("http://127.0.0.1:9/x", 1, 1, 1, "c").catch((e) => e);
      expect(err.code).toBe("DOWNLOAD_FAILED");
      const seen: string[] = [];
      const withFallback = createObjectStoreClaims({ connection: nc, fallback: async (u) => (seen.push(u), new Uint8Array([1, 2])) });
      expect(await withFallback.download("http://127.0.0.1:9/x", 1, 1, 1, "c")).toEqual(new Uint8Array([1, 2]));
      expect(seen).toEqual(["http://127.0.0.1:9/x"]);
    });

    it.each([
      ["natsobj://bucket", "one object name"],
      ["natsobj://bucket/a/b", "one object name"],
      ["natsobj://bu cket/x", "not a URL"],
      ["natsobj://b.c/x", "bucket name"],
      ["natsobj://user:pw@b/x", "credentials"],
      ["natsobj://b:4222/x", "credentials, port"],
      ["natsobj://b/x?digest=md5", "digest"],
      ["natsobj://b/x?other=1", "query"],
      ["natsobj://b/%E0%A4%A", "percent-encoding"],
      ["http://b/x", "scheme"],
    ])("a malformed link %s", (url, why) => {
      const err = (() => {
        try {
          parseObjectLink(url);
        } catch (e) {
          return e as NatsBridgeError;
        }
      })();
      expect(err?.code).toBe("INVALID_ENVELOPE");
      expect(err?.message).toContain(why);
    });

    it("keeps object names exactly, whatever characters they hold", () => {
      for (const name of ["a/b c", "ü?#%", "x".repeat(1024)]) {
        expect(parseObjectLink(objectLink({ bucket: "b", name })).name).toBe(name);
      }
    });
  });
});
