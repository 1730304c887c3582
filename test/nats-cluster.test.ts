import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { startNatsCluster, type NatsClusterHandle } from "./helpers/nats-cluster.js";
import { findNewestNatsServer, natsServerVersion, startNatsServer } from "./helpers/nats-server.js";

const enc = new TextEncoder();

describe("3-node nats-server cluster helper", () => {
  let cluster: NatsClusterHandle;
  const conns: NatsConnection[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster();
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await cluster?.stop();
  });

  it("runs the newest nats-server found", () => {
    expect(cluster.bin).toBe(findNewestNatsServer());
    expect(natsServerVersion(cluster.bin).length).toBe(3);
  });

  it("replicates an R3 stream: written through node 1, read through node 3", async () => {
    const [a, , c] = cluster.nodes;
    const ncA = await connect({ servers: a!.url });
    const ncC = await connect({ servers: c!.url });
    conns.push(ncA, ncC);
    const jsm = await ncA.jetstreamManager();
    await jsm.streams.add({ name: "HELPER", subjects: ["helper.>"], num_replicas: 3 });
    const ack = await ncA.jetstream().publish("helper.x", enc.encode("replicated"));
    expect(ack.stream).toBe("HELPER");
    const info = await (await ncC.jetstreamManager()).streams.info("HELPER");
    expect(info.config.num_replicas).toBe(3);
    expect(1 + (info.cluster?.replicas?.length ?? 0)).toBe(3);
    const m = await (await ncC.jetstreamManager()).streams.getMessage("HELPER", { seq: ack.seq });
    expect(new TextDecoder().decode(m.data)).toBe("replicated");
  });
});

describe("nats-server restart", () => {
  it("keeps JetStream file storage across a restart on the same ports", async () => {
    const server = await startNatsServer({ newest: true });
    try {
      let nc = await connect({ servers: server.url });
      await (await nc.jetstreamManager()).streams.add({ name: "KEEP", subjects: ["keep.>"] });
      const ack = await nc.jetstream().publish("keep.a", enc.encode("kept"));
      await nc.close();
      await server.restart();
      nc = await connect({ servers: server.url });
      const m = await (await nc.jetstreamManager()).streams.getMessage("KEEP", { seq: ack.seq });
      expect(new TextDecoder().decode(m.data)).toBe("kept");
      await nc.close();
    } finally {
      await server.stop();
    }
  });
});
