/**
 * Child process of test/core/arrow-ipc-check.test.ts (issue 8, item 1): a valid arrowtable
 * envelope whose Arrow payload gets one byte inserted at offset 44 (size fields corrected) goes
 * through smartreceive. apache-arrow alone spins on it for minutes, so the parent runs this under
 * a watchdog. Prints one JSON line: { code } of the error, or { rows } if a table came back.
 */
import { isNatsBridgeError } from "../../src/core/errors.js";
import { smartreceive, smartsend } from "../../src/node.js";

const [, json] = await smartsend("arrow.reproducer", [["users", [{ id: 1, name: "Alice", score: 95.5 }], "arrowtable"]], { is_publish: false });
const env = JSON.parse(json);
const valid = Buffer.from(env.payloads[0].data, "base64");
const mutated = Buffer.concat([valid.subarray(0, 44), Buffer.from([Number(process.argv[2] ?? 0)]), valid.subarray(44)]);
env.payloads[0].data = mutated.toString("base64");
env.payloads[0].size = mutated.length;
env.payloads[0].metadata = { payload_bytes: mutated.length };
try {
  const got = await smartreceive(JSON.stringify(env));
  process.stdout.write(JSON.stringify({ rows: (got.payloads[0]![1] as { numRows: number }).numRows, envelopeBytes: JSON.stringify(env).length }) + "\n");
} catch (e) {
  process.stdout.write(JSON.stringify({ code: isNatsBridgeError(e) ? e.code : `uncoded ${e}`, envelopeBytes: JSON.stringify(env).length }) + "\n");
}
