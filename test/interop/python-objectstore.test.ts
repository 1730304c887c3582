/**
 * TS ↔ Python peer interop with link payloads kept in a JetStream Object Store bucket behind the
 * Plik-compatible gateway (src/devserver/objectstore-gateway.ts, issue 10): the Python peer only
 * speaks HTTP and never knows the files live in NATS.
 */
import { connect } from "nats";
import { startObjectStoreGateway } from "../../src/fileserver.js";
import { startNatsServer } from "../helpers/nats-server.js";
import { definePythonInteropSuite } from "./python-suite.js";

definePythonInteropSuite("Object Store gateway", async () => {
  const nats = await startNatsServer({ newest: true });
  const nc = await connect({ servers: nats.url });
  const gw = await startObjectStoreGateway({ connection: nc, bucket: "python-interop" });
  return {
    url: gw.url,
    stop: async () => {
      await gw.close();
      await nc.close();
      await nats.stop();
    },
  };
});
