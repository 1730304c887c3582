import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import {
  createBridge,
  createObjectStoreClaims,
  NatsBridgeError,
  settleAction,
  type Bridge,
  type ReceivedEnvelope,
} from "../../src/node.js";
import { startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { randomBytes, expectSameBytes } from "../helpers/bridge-env.js";

let nats: NatsServerHandle;
let nc: NatsConnection;
let bridge: Bridge;
let streams = 0;
const ACK_WAIT_MS = 300;

beforeAll(async () => {
  nats = await startNatsServer({ newest: true });
  nc = await connect({ servers: nats.url });
  bridge = createBridge({ nats_connection: nc });
});
afterAll(async () => {
  await bridge?.close();
  await nc?.close();
  await nats?.stop();
});

/** A fresh stream over `<name>.>`; returns its name and subject prefix. */
async function stream(opts: Record<string, unknown> = {}): Promise<{ name: string; subject: string }> {
  const name = `S${++streams}`;
  const subject = `js${streams}`;
  await (await nc.jetstreamManager()).streams.add({ name, subjects: [`${subject}.>`], ...opts });
  return { name, subject };
}

/** Waits (bounded) until `cond` holds; the counts it watches come from real deliveries. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("smartsend with jetstream", () => {
  it("stores the envelope in the stream and returns the PubAck, msg_id as Nats-Msg-Id", async () => {
    const s = await stream();
    const result = await bridge.smartsend(`${s.subject}.a`, [["m", "hello", "text"]], { jetstream: true });
    const [env, json] = result;
    expect(result).toHaveLength(2);
    expect(result.puback).toEqual({ stream: s.name, seq: 1, duplicate: false });
    const stored = await (await nc.jetstreamManager()).streams.getMessage(s.name, { seq: 1 });
    expect(new TextDecoder().decode(stored.data)).toBe(json);
    expect(stored.header.get("Nats-Msg-Id")).toBe(env.msg_id);
  });

  it("stores a resent msg_id once", async () => {
    const s = await stream();
    const send = () => bridge.smartsend(`${s.subject}.a`, [["m", "once", "text"]], { jetstream: true, msg_id: "fixed-id-1" });
    const first = await send();
    const again = await send();
    expect(first.puback?.duplicate).toBe(false);
    expect(again.puback).toEqual({ stream: s.name, seq: first.puback!.seq, duplicate: true });
    const info = await (await nc.jetstreamManager()).streams.info(s.name);
    expect(info.state.messages).toBe(1);
  });

  it("fails with NATS_CONNECTION_FAILED / no_stream when no stream covers the subject", async () => {
    const err = await bridge.smartsend("nostream.here", [["m", "x", "text"]], { jetstream: true }).catch((e) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect(err.code).toBe("NATS_CONNECTION_FAILED");
    expect(err.details).toMatchObject({ reason: "no_stream", subject: "nostream.here" });
  });

  it("with retry_ms, resends until a stream appears (same msg_id: stored once)", async () => {
    const name = `LATE${++streams}`;
    const sending = bridge.smartsend(`late${streams}.x`, [["m", "patient", "text"]], { jetstream: { retry_ms: 30_000, timeout_ms: 500 } });
    // The stream is created only after the first attempt has failed with no responders.
    await new Promise((r) => setTimeout(r, 300));
    await (await nc.jetstreamManager()).streams.add({ name, subjects: [`late${streams}.>`] });
    const result = await sending;
    expect(result.puback).toMatchObject({ stream: name, duplicate: false });
    expect((await (await nc.jetstreamManager()).streams.info(name)).state.messages).toBe(1);
  });

  it("fails with ack_timeout when the ack does not come", async () => {
    // A core subscriber that never answers: the request has a responder, so it waits for a reply.
    const mute = nc.subscribe("mute.subject");
    await nc.flush();
    try {
      const err = await bridge.smartsend("mute.subject", [["m", "x", "text"]], { jetstream: { timeout_ms: 300 } }).catch((e) => e);
      expect(err.code).toBe("NATS_CONNECTION_FAILED");
      expect(err.details).toMatchObject({ reason: "ack_timeout", timeout_ms: 300 });
    } finally {
      mute.unsubscribe();
    }
  });

  it("passes expectations to the server and reports its refusal", async () => {
    const s = await stream();
    const err = await bridge.smartsend(`${s.subject}.a`, [["m", "x", "text"]], { jetstream: { expect: { stream: "OTHER" } } }).catch((e) => e);
    expect(err.code).toBe("NATS_CONNECTION_FAILED");
    expect(err.details.reason).toBe("rejected");
    expect(err.details.api_error?.err_code).toBeGreaterThan(0);
  });

  it("refuses a jetstream option that is not true or an object", async () => {
    for (const bad of ["yes", { retry_ms: -1 }, { timeout_ms: 0 }]) {
      const err = await bridge.smartsend("x.y", [["m", "x", "text"]], { jetstream: bad as never }).catch((e) => e);
      expect(err.code).toBe("INVALID_OPTIONS");
    }
  });
});

describe("consume", () => {
  it("receives a message published while no consumer ran, once it starts; links from the Object Store too", async () => {
    const s = await stream();
    const claims = createObjectStoreClaims({ connection: nc, bucket: "consume-links" });
    const sender = createBridge({ nats_connection: nc, upload: claims.upload, download: claims.download });
    const blob = randomBytes(200_000, 11);
    const [sent] = await sender.smartsend(`${s.subject}.offline`, [["note", "sent while nobody listened", "text"], ["blob", blob, "binary"]], {
      jetstream: true,
      size_threshold: 100_000,
    });
    expect(sent.payloads.map((p) => p.transport)).toEqual(["direct", "link"]);

    const got: ReceivedEnvelope[] = [];
    const c = await sender.consume(nc, { stream: s.name, durable: "late" }, (env) => void got.push(env));
    await until(() => got.length === 1, "the stored message");
    await c.stop();
    expect(got[0]!.msg_id).toBe(sent.msg_id);
    expect(got[0]!.payloads[0]).toEqual(["note", "sent while nobody listened", "text"]);
    expectSameBytes(got[0]!.payloads[1]![1], blob);
    const info = await (await nc.jetstreamManager()).consumers.info(s.name, "late");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it("terms a bad envelope (not redelivered) and goes on with the next message", async () => {
    const s = await stream();
    await nc.jetstream().publish(`${s.subject}.bad`, new TextEncoder().encode('{"not":"an envelope"}'));
    await bridge.smartsend(`${s.subject}.good`, [["m", "good", "text"]], { jetstream: true });
    const errs: [string, string, number][] = [];
    const seen: string[] = [];
    const c2 = await bridge.consume(
      nc,
      { stream: s.name, durable: "d2", nak_delay_ms: 20, ack_wait_ms: ACK_WAIT_MS, on_error: (e, m, action) => errs.push([(e as NatsBridgeError).code, action, m.seq]) },
      (env) => void seen.push(String(env.payloads[0]![1])),
    );
    await until(() => seen.length === 1, "the good message");
    // A short ack_wait: a message that was not settled would be delivered again within a few of them.
    await new Promise((r) => setTimeout(r, 4 * ACK_WAIT_MS));
    const info = await (await nc.jetstreamManager()).consumers.info(s.name, "d2");
    await c2.stop();
    expect(seen).toEqual(["good"]);
    expect(errs).toEqual([["INVALID_ENVELOPE", "term", 1]]);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it("naks a retryable failure with delay and acks once the handler succeeds", async () => {
    const s = await stream();
    await bridge.smartsend(`${s.subject}.r`, [["m", "retry me", "text"]], { jetstream: true });
    let calls = 0;
    const actions: string[] = [];
    const c = await bridge.consume(nc, { stream: s.name, durable: "r", nak_delay_ms: 20, on_error: (_e, _m, a) => actions.push(a) }, () => {
      calls++;
      if (calls < 3) throw new NatsBridgeError("DOWNLOAD_FAILED", "not yet");
    });
    await until(() => calls === 3, "the third delivery");
    await until(async () => (await (await nc.jetstreamManager()).consumers.info(s.name, "r")).num_ack_pending === 0, "the ack");
    await c.stop();
    expect(actions).toEqual(["nak", "nak"]);
  });

  it("settles errors by kind", () => {
    expect(settleAction(new NatsBridgeError("INVALID_ENVELOPE", ""))).toBe("term");
    expect(settleAction(new NatsBridgeError("DESERIALIZATION_ERROR", ""))).toBe("term");
    expect(settleAction(new NatsBridgeError("INVALID_PAYLOAD_TYPE", ""))).toBe("term");
    expect(settleAction(new NatsBridgeError("DOWNLOAD_FAILED", ""))).toBe("nak");
    expect(settleAction(new NatsBridgeError("DOWNLOAD_FAILED", "", { details: { retryable: false } }))).toBe("term");
    expect(settleAction(new NatsBridgeError("NATS_CONNECTION_FAILED", ""))).toBe("nak");
    expect(settleAction(new Error("handler bug"))).toBe("nak");
  });

  it("refuses a connection without JetStream and options without stream/durable", async () => {
    await expect(bridge.consume({ publish() {} }, { stream: "S", durable: "d" }, () => {})).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(bridge.consume(nc, { stream: "", durable: "d" }, () => {})).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });
});

describe("a nats-server restart with file storage", () => {
  it("loses nothing that was acknowledged", async () => {
    const server = await startNatsServer({ newest: true });
    try {
      let conn = await connect({ servers: server.url });
      const b = createBridge({ nats_connection: conn });
      await (await conn.jetstreamManager()).streams.add({ name: "DURABLE", subjects: ["durable.>"], storage: "file" as never });
      const acked: string[] = [];
      for (let i = 0; i < 20; i++) {
        const [env] = await b.smartsend("durable.x", [["i", `message ${i}`, "text"]], { jetstream: true });
        acked.push(env.msg_id);
      }
      await conn.close();
      await server.restart();
      conn = await connect({ servers: server.url });
      const got: string[] = [];
      const c = await b.consume(conn, { stream: "DURABLE", durable: "after-restart" }, (env) => void got.push(env.msg_id));
      await until(() => got.length >= acked.length, "every acknowledged message");
      await c.stop();
      expect(got).toEqual(acked);
      await conn.close();
    } finally {
      await server.stop();
    }
  });
});
