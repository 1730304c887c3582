/**
 * npm run bench — round-trip rate of smartsend → smartreceive against raw nats.js
 * publish → subscribe of the same envelope bytes, all measured in one run on one nats-server,
 * reported as ratios (machines are noisy; ratios from the same run are not).
 *
 * Targets: 1 KB text ≥ 0.8× raw, 512 KB binary ≥ 0.7× raw, and with only broker_url given
 * (connection from natsbridge's cache) the 1 KB figure within 2× of the passed-connection one.
 */
import { connect, type NatsConnection } from "nats";
// The built package, as users run it (not the TypeScript sources through a loader).
import { smartsend, smartreceive, close } from "../dist/node.js";
import { startNatsServer } from "../test/helpers/nats-server.js";

type Variant = "raw" | "bridge (nats_connection)" | "bridge (broker_url only)";

const nats = await startNatsServer();
const pub = await connect({ servers: nats.url, name: "bench-pub" });
const subConn = await connect({ servers: nats.url, name: "bench-sub" });

let seq = 0;

/**
 * Round trips per second: each message is sent, then the sender waits until the receiver has it
 * (raw: the bytes; natsbridge: the decoded envelope) before sending the next. This is the
 * request-path cost a service sees, and it counts every step of both sides.
 */
async function measure(variant: Variant, tuple: [string, unknown, string], count: number): Promise<number> {
  const subject = `bench.${seq++}`;
  const [, json] = await smartsend(subject, [tuple as never], { is_publish: false });
  const rawBytes = new TextEncoder().encode(json);
  let arrived!: () => void;
  const sub = subConn.subscribe(subject, {
    callback: (_e, m) => {
      if (variant === "raw") {
        if (m.data.byteLength !== rawBytes.byteLength) throw new Error("raw message truncated");
        arrived();
      } else {
        smartreceive(m).then((env) => {
          if (env.payloads.length !== 1) throw new Error("lost payload");
          arrived();
        });
      }
    },
  });
  await subConn.flush();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const got = new Promise<void>((r) => (arrived = r));
    if (variant === "raw") pub.publish(subject, rawBytes);
    else if (variant === "bridge (nats_connection)") await smartsend(subject, [tuple as never], { nats_connection: pub });
    else await smartsend(subject, [tuple as never], { broker_url: nats.url });
    await got;
  }
  const secs = (performance.now() - t0) / 1000;
  sub.unsubscribe();
  return count / secs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function scenario(name: string, tuple: [string, unknown, string], count: number, rounds = 5) {
  const variants: Variant[] = ["raw", "bridge (nats_connection)", "bridge (broker_url only)"];
  const results: Record<Variant, number[]> = { raw: [], "bridge (nats_connection)": [], "bridge (broker_url only)": [] };
  await measure("bridge (nats_connection)", tuple, Math.ceil(count / 4)); // warm-up: JIT, connection cache, lazy imports
  await measure("raw", tuple, Math.ceil(count / 4));
  // Interleave variants so drift on a noisy machine hits all of them alike.
  for (let r = 0; r < rounds; r++) for (const v of variants) results[v].push(await measure(v, tuple, count));
  const raw = median(results.raw);
  console.log(`\n${name} (${count} msgs × ${rounds} rounds, median msgs/s)`);
  for (const v of variants) {
    const m = median(results[v]);
    console.log(`  ${v.padEnd(26)} ${m.toFixed(0).padStart(8)} msgs/s   ${(m / raw).toFixed(2)}× raw`);
  }
  return { raw, passed: median(results["bridge (nats_connection)"]), cached: median(results["bridge (broker_url only)"]) };
}

const text1k = "x".repeat(1024);
const bin512k = new Uint8Array(512 * 1024).map((_, i) => (i * 2654435761) >>> 24);

const small = await scenario("1 KB text", ["msg", text1k, "text"], 4000, 9);
const large = await scenario("512 KB binary", ["blob", bin512k, "binary"], 150, 7);

const checks = [
  ["1 KB ≥ 0.8× raw", small.passed / small.raw, small.passed / small.raw >= 0.8],
  ["512 KB ≥ 0.7× raw", large.passed / large.raw, large.passed / large.raw >= 0.7],
  ["1 KB broker_url-only within 2× of passed connection", small.passed / small.cached, small.passed / small.cached <= 2],
] as const;
console.log("\ntargets");
for (const [name, ratio, ok] of checks) console.log(`  ${ok ? "met    " : "MISSED "} ${name} (${ratio.toFixed(2)})`);

await pub.close();
await subConn.close();
await close();
await nats.stop();
