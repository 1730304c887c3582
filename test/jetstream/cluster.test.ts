import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { createBridge, createObjectStoreClaims, type Bridge } from "../../src/node.js";
import { startNatsCluster, type NatsClusterHandle } from "../helpers/nats-cluster.js";
import { randomBytes, expectSameBytes } from "../helpers/bridge-env.js";

/**
 * Issue 10's cluster check: an R3 stream and an R3 Object Store bucket on 3 nodes; envelopes
 * (each with a linked payload) published through node A (jetstream retry_ms) and consumed through node C while the
 * node holding the stream leader is killed; every acknowledged message, and its object, arrives.
 */

const MESSAGES = 30;
const KILL_AT = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: NatsClusterHandle;
const conns: NatsConnection[] = [];
const bridges: Bridge[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
});
afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
  await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  await cluster?.stop();
});

/** A client that starts on `first` and fails over to the other nodes (in order) when it goes. */
async function clientOn(first: number): Promise<NatsConnection> {
  const order = [first, ...[0, 1, 2].filter((i) => i !== first)].map((i) => cluster.nodes[i]!.url);
  const nc = await connect({ servers: order, noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  conns.push(nc);
  return nc;
}

describe("3-node cluster: R3 stream and bucket, leader killed mid-run", () => {
  it("delivers every acknowledged message and its object, published via node A, consumed via node C", async () => {
    const ncA = await clientOn(0);
    const ncC = await clientOn(2);
    const jsm = await ncA.jetstreamManager();
    await jsm.streams.add({ name: "EVENTS", subjects: ["events.>"], num_replicas: 3 });

    const sendClaims = createObjectStoreClaims({ connection: ncA, bucket: "cluster-objects", replicas: 3 });
    const recvClaims = createObjectStoreClaims({ connection: ncC, bucket: "cluster-objects" });
    expect(await sendClaims.ensureBucket()).toBe("OBJ_cluster-objects");
    const bucketInfo = await jsm.streams.info("OBJ_cluster-objects");
    expect(bucketInfo.config.num_replicas).toBe(3);

    const sender = createBridge({ nats_connection: ncA, upload: sendClaims.upload, size_threshold: 1000 });
    const receiver = createBridge({ download: recvClaims.download });
    bridges.push(sender, receiver);

    const received = new Map<string, number>();
    const consumer = await receiver.consume(
      ncC,
      { stream: "EVENTS", durable: "via-c", ack_wait_ms: 10_000, nak_delay_ms: 200, max_deliver: -1 },
      (env) => {
        const i = Number(env.payloads[0]![1]);
        expectSameBytes(env.payloads[1]![1], randomBytes(20_000, i + 1));
        received.set(env.msg_id, i);
      },
    );

    const sent = new Map<string, number>();
    let killed = "";
    for (let i = 0; i < MESSAGES; i++) {
      if (i === KILL_AT) {
        const leader = (await jsm.streams.info("EVENTS")).cluster?.leader;
        const node = cluster.nodes.find((n) => n.name === leader);
        expect(node, `stream leader ${leader} is one of the nodes`).toBeDefined();
        killed = node!.name;
        await node!.kill();
      }
      const msg_id = `event-${i}`;
      // retry_ms: resent with the same msg_id while the cluster elects a new leader (stored once).
      await sender.smartsend("events.load", [["i", String(i), "text"], ["blob", randomBytes(20_000, i + 1), "binary"]], {
        jetstream: { timeout_ms: 2000, retry_ms: 60_000 },
        msg_id,
      });
      sent.set(msg_id, i);
    }

    // Bounded: with nats-server 2.9 (the fallback) reads after a node loss can wait out several
    // 5 s request timeouts before the cluster settles; 2.15 takes well under a second here.
    const deadline = Date.now() + 240_000;
    while (received.size < sent.size && Date.now() < deadline) await sleep(100);
    await consumer.stop();

    expect(killed).not.toBe("");
    expect(received.size).toBe(sent.size);
    expect([...received.entries()].sort()).toEqual([...sent.entries()].sort());
    const stored = await (await ncC.jetstreamManager()).streams.info("EVENTS");
    // Resends after a lost ack were dropped as duplicates: the stream holds each message once.
    expect(stored.state.messages).toBe(MESSAGES);
  }, 300_000);
});
