import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { smartreceive, smartsend } from "../../src/node.js";
import { startResponder, COMMAND_SUBJECT } from "../../examples/responder.js";
import { startBridgeEnv, listen, uniqueSubject, type BridgeEnv } from "../helpers/bridge-env.js";

const run = promisify(execFile);

describe("examples", () => {
  let env: BridgeEnv;
  beforeAll(async () => {
    env = await startBridgeEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it("the responder answers on reply_to with reply_to_msg_id", async () => {
    const sub = startResponder(env.nc);
    await env.nc.flush();
    const inbox = uniqueSubject("inbox");
    const { next } = await listen(env.nc, inbox);
    const [req] = await smartsend(COMMAND_SUBJECT, [["command", { action: "read_sensor" }, "dictionary"]], { broker_url: env.nats.url, reply_to: inbox });
    const reply = await smartreceive(await next);
    sub.unsubscribe();
    expect(reply).toMatchObject({ reply_to_msg_id: req.msg_id, correlation_id: req.correlation_id, msg_purpose: "ACK", sender_name: "sensor-responder" });
    expect(reply.payloads).toEqual([["data", { sensor_id: "sensor-001", value: 42.5 }, "dictionary"]]);
  });

  it("the requester asks once with smartrequest and prints the answer", async () => {
    const sub = startResponder(env.nc);
    await env.nc.flush();
    const { stdout } = await run("npx", ["tsx", "examples/requester.ts"], { timeout: 60_000, env: { ...process.env, NATS_URL: env.nats.url } });
    sub.unsubscribe();
    expect(stdout).toMatch(/^reply to [0-9a-f-]{36}: \[ \[ 'data', \{ sensor_id: 'sensor-001', value: 42\.5 \}, 'dictionary' \] \]/);
  });

  it("npm run demo's script delivers every payload and prints them", async () => {
    const { stdout } = await run("npx", ["tsx", "examples/demo.ts"], { timeout: 60_000 });
    expect(stdout).toMatch(/dataset\s+binary\s+link\s+3145728 bytes\s+→ http:\/\/127\.0\.0\.1:\d+\/file\//);
    expect(stdout).toContain('message   text       "Hello from natsbridge 👋"');
    expect(stdout).toMatch(/students\s+arrowtable Arrow table 3×3/);
    expect(stdout).toMatch(/avatar\s+image\s+PNG image, \d+ bytes/);
    expect(stdout).toMatch(/dataset\s+binary\s+3145728 bytes, sha256/);
  });
}, 90_000);
