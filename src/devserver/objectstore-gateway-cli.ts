/**
 * Run the Plik-compatible gateway over a JetStream Object Store bucket from a shell; start as many
 * as you like on the same bucket:
 *   npx tsx src/devserver/objectstore-gateway-cli.ts --nats nats://127.0.0.1:4222 --bucket files --port 8080
 */
import { cliArgs, type CliArgs } from "./cli-args.js";
import { connect } from "nats";
import { startObjectStoreGateway } from "./objectstore-gateway.js";

const usage = `Usage: tsx src/devserver/objectstore-gateway-cli.ts --nats URL[,URL…] [--bucket NAME] [--port N] [--host H] [--ttl-ms N] [--replicas N] [--max-upload-bytes N]`;

const cli: CliArgs = cliArgs(usage);
const fail: CliArgs["fail"] = cli.fail;
const num = cli.intOption;

const args = cli.parse({
  nats: { type: "string" },
  bucket: { type: "string" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "ttl-ms": { type: "string" },
  replicas: { type: "string" },
  "max-upload-bytes": { type: "string" },
});
if (!args.nats) fail("--nats is required");

const nc = await connect({ servers: args.nats.split(","), name: "natsbridge-gateway", maxReconnectAttempts: -1 });
const gw = await startObjectStoreGateway({
  connection: nc,
  bucket: args.bucket,
  host: args.host,
  port: num("port", args.port),
  ttl_ms: num("ttl-ms", args["ttl-ms"]),
  replicas: num("replicas", args.replicas),
  maxUploadBytes: num("max-upload-bytes", args["max-upload-bytes"]),
});
process.stdout.write(`natsbridge Object Store gateway listening on ${gw.url} (bucket ${gw.bucket})\n`);

let stopping = false;
const stop = () => {
  if (stopping) process.exit(1);
  stopping = true;
  void gw.close().then(() => nc.drain()).then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
