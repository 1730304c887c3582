import { smartsend, smartreceive, nodeRuntime } from "../src/node.js";
import { parseJson } from "../src/core/json.js";
import { parseEnvelope } from "../src/core/envelope.js";
import { parseJsonText, decodeText } from "../src/core/bulk-json.js";
import { decodeBase64Strict } from "../src/core/base64.js";
import { uuidv4 } from "../src/core/uuid.js";
import { layoutEnvelope } from "../src/core/wire.js";
const text = "x".repeat(1024);
const [env, json] = await smartsend("s", [["msg", text, "text"]], { is_publish: false });
const bytes = Buffer.from(json);
const parsed = JSON.parse(json);
const b64 = env.payloads[0]!.data;
function bench(label: string, f: () => unknown, N = 200000) {
  for (let i = 0; i < 20000; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) f();
  console.log(label.padEnd(34), ((performance.now() - t0) * 1000 / N).toFixed(3), "µs");
}
let sink: unknown;
async function abench(label: string, f: () => Promise<unknown>, N = 100000) {
  for (let i = 0; i < 20000; i++) await f();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await f();
  console.log(label.padEnd(34), ((performance.now() - t0) * 1000 / N).toFixed(3), "µs");
}
const { header, ...rest } = { header: { ...env, payloads: undefined } } as any;
for (let r = 0; r < 2; r++) {
  bench("decodeText", () => (sink = decodeText(bytes)));
  bench("JSON.parse", () => (sink = JSON.parse(json)));
  bench("parseJson", () => (sink = parseJson(json)));
  bench("parseJsonText", () => (sink = parseJsonText(json)));
  bench("parseEnvelope", () => (sink = parseEnvelope(parsed)));
  bench("decodeBase64Strict", () => (sink = decodeBase64Strict(b64, nodeRuntime.base64Decode)));
  bench("uuidv4", () => (sink = uuidv4()));
  bench("layoutEnvelope", () => (sink = layoutEnvelope(header, env.payloads, JSON.stringify, { writeAscii: nodeRuntime.writeAscii! }).bytes()));
  await abench("smartreceive(bytes)", () => smartreceive(bytes));
  await abench("smartsend", () => smartsend("s", [["msg", text, "text"]], { is_publish: false }));
}
await abench("baseline async", async () => 1);
await abench("baseline Promise.resolve", () => Promise.resolve(1));
const td = new TextDecoder();
bench("text payload decode", () => (sink = td.decode(bytes.subarray(0, 1024))));
bench("toISOString", () => (sink = new Date().toISOString()));
bench("b64 encode", () => (sink = nodeRuntime.base64Encode(bytes.subarray(0, 1024))));
