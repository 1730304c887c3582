// One fuzz worker: receives envelope texts, runs smartreceive from the BUILT package (dist/), and
// answers with the outcome and a summary of every value it returned (compared with the reference
// decoder by the runner). Runs in a worker thread with a memory cap; the runner's watchdog ends
// it if an input takes too long.
import { parentPort, workerData } from "node:worker_threads";
import { createHash } from "node:crypto";
import { createBridge, NatsBridgeError } from "../dist/node.js";

const bridge = createBridge(workerData.bridgeOptions);
const sha = (b) => createHash("sha1").update(b).digest("hex");
const json = (v) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

function summary(type, value) {
  if (value instanceof Uint8Array) return { bytes: sha(value), n: value.byteLength };
  if (type === "text") return { text: value };
  if (type === "arrowtable") return { rows: value.numRows, cols: value.numCols };
  return { json: json(value) };
}

parentPort.on("message", async ({ id, text }) => {
  const t0 = performance.now();
  try {
    const env = await bridge.smartreceive(text);
    parentPort.postMessage({ id, ms: performance.now() - t0, outcome: "ok", payloads: env.payloads.map(([name, v, type]) => ({ name, type, ...summary(type, v) })) });
  } catch (e) {
    const coded = e instanceof NatsBridgeError;
    parentPort.postMessage({ id, ms: performance.now() - t0, outcome: coded ? e.code : "UNCODED", message: coded ? undefined : String(e?.stack ?? e) });
  }
});
