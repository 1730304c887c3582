/**
 * npm run bench — round-trip rate of smartsend → smartreceive against raw nats.js
 * publish → subscribe of the same envelope bytes, all measured in one run on one nats-server,
 * reported as ratios (machines are noisy; ratios from the same run are not).
 *
 * Targets: 1 KB text ≥ 0.8× raw, 512 KB binary ≥ 0.7× raw, and with only broker_url given
 * (connection from natsbridge's cache) the 1 KB figure within 2× of the passed-connection one.
 */
import { connect } from "nats";
// The built package, as users run it (not the TypeScript sources through a loader).
import { smartsend, smartreceive, close } from "../dist/node.js";
import { startNatsServer } from "../test/helpers/nats-server.js";

const VARIANTS = ["raw", "bridge (nats_connection)", "bridge (broker_url only)"] as const;
type Variant = (typeof VARIANTS)[number];

const nats = await startNatsServer();
const pub = await connect({ servers: nats.url, name: "bench-pub" });
const subConn = await connect({ servers: nats.url, name: "bench-sub" });

let seq = 0;

/**
 * One variant's sender and receiver. A round trip: the message is sent, then the sender waits
 * until the receiver has it (raw: the bytes; natsbridge: the decoded envelope) before sending the
 * next. This is the request-path cost a service sees, and it counts every step of both sides.
 */
async function runner(variant: Variant, tuple: [string, unknown, string]) {
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
  /** Sends `count` messages one round trip at a time; returns the elapsed milliseconds. */
  const batch = async (count: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const got = new Promise<void>((r) => (arrived = r));
      if (variant === "raw") pub.publish(subject, rawBytes);
      else if (variant === "bridge (nats_connection)") await smartsend(subject, [tuple as never], { nats_connection: pub });
      else await smartsend(subject, [tuple as never], { broker_url: nats.url });
      await got;
    }
    return performance.now() - t0;
  };
  return { batch, stop: () => sub.unsubscribe() };
}

/**
 * The variants take turns in short batches (a few tens of milliseconds each), in an order that
 * rotates every round, and each one's time is summed over the whole run: the machine's drift and
 * hiccups (this is a shared VM) land on all variants alike instead of on whichever ran during them.
 * Every message counts, garbage-collection pauses included.
 */
async function scenario(name: string, tuple: [string, unknown, string], batchSize: number, rounds: number) {
  const runners = await Promise.all(VARIANTS.map((v) => runner(v, tuple)));
  // Warm-up, run like the measurement but not counted: the first thousands of messages pay for JIT
  // tiers, heap sizing, the connection cache and lazy imports; the figures are for a service that
  // has been running.
  for (let r = 0; r < Math.ceil(rounds / 3); r++) for (const x of runners) await x.batch(batchSize);
  const ms = VARIANTS.map(() => 0);
  // Per fifth of the run, to show how much the ratio moves within one run.
  const parts = 5;
  const partMs = Array.from({ length: parts }, () => VARIANTS.map(() => 0));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const i = (r + k) % VARIANTS.length;
      const t = await runners[i]!.batch(batchSize);
      ms[i]! += t;
      partMs[Math.floor((r * parts) / rounds)]![i]! += t;
    }
  }
  for (const r of runners) r.stop();
  const rate = ms.map((t) => (rounds * batchSize) / (t / 1000));
  console.log(`\n${name} (${rounds} rounds × ${batchSize} msgs per variant, interleaved; ratio per fifth of the run in brackets)`);
  VARIANTS.forEach((v, i) => {
    const perPart = partMs.map((p) => p[0]! / p[i]!);
    const range = i === 0 ? "" : `  [${perPart.map((x) => x.toFixed(2)).join(" ")}]`;
    console.log(`  ${v.padEnd(26)} ${rate[i]!.toFixed(0).padStart(8)} msgs/s   ${(rate[i]! / rate[0]!).toFixed(2)}× raw${range}`);
  });
  return { raw: rate[0]!, passed: rate[1]!, cached: rate[2]! };
}

const text1k = "x".repeat(1024);
const bin512k = new Uint8Array(512 * 1024).map((_, i) => (i * 2654435761) >>> 24);

const small = await scenario("1 KB text", ["msg", text1k, "text"], 250, 60);
const large = await scenario("512 KB binary", ["blob", bin512k, "binary"], 10, 50);

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
