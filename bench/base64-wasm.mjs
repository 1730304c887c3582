// Microbenchmark, µs per 512 KB payload (700 KB of base64), printed only -- no assertions.
// Run: npx tsx bench/base64-wasm.mjs   (tsx loads index.ts; nothing to build)
import { randomBytes } from "node:crypto";
import { base64DecodeBytes, base64EncodeInto, base64EncodedLength, simdAvailable } from "../src/core/base64/wasm/index.ts";
import { BASE64_WASM_SIZE } from "../src/core/base64/wasm/module.ts";

const SIZE = 512 * 1024;
const src = new Uint8Array(randomBytes(SIZE));
const textLen = base64EncodedLength(SIZE);
const envelope = new Uint8Array(textLen + 256); // stands in for the JSON envelope being built
const text = new Uint8Array(textLen);
base64EncodeInto(src, text, 0);
const textStr = Buffer.from(text).toString("latin1");
const td = new TextDecoder();
let sink = 0;

/** Median µs per call over `rounds` rounds of `reps` calls each. */
function bench(name, fn, reps = 50, rounds = 25) {
  for (let i = 0; i < reps * 4; i++) fn(); // warm-up (tier-up)
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    times.push(((performance.now() - t0) * 1000) / reps);
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  console.log(`${name.padEnd(58)} ${med.toFixed(1).padStart(7)} µs  (min ${times[0].toFixed(1)})`);
  return med;
}

console.log(`node ${process.version}, simd ${simdAvailable()}, module ${BASE64_WASM_SIZE} bytes, payload ${SIZE} B -> ${textLen} B base64`);
console.log("encode (bytes -> base64 ASCII in the envelope)");
bench("  wasm base64EncodeInto(src, envelope, 64)", () => {
  sink += base64EncodeInto(src, envelope, 64);
});
const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
bench("  Buffer toString('base64') (string only)", () => {
  sink += srcBuf.toString("base64").length;
});
const envBuf = Buffer.from(envelope.buffer);
bench("  Buffer toString('base64') + envelope.write(s, 64, 'latin1')", () => {
  sink += envBuf.write(srcBuf.toString("base64"), 64, "latin1");
});
console.log("decode (base64 ASCII bytes in the message -> bytes)");
bench("  wasm base64DecodeBytes(text)", () => {
  sink += base64DecodeBytes(text).length;
});
bench("  Buffer.from(s, 'base64') (string already exists)", () => {
  sink += Buffer.from(textStr, "base64").length;
});
bench("  TextDecoder.decode(text) + Buffer.from(s, 'base64')", () => {
  sink += Buffer.from(td.decode(text), "base64").length;
});
const textBuf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
bench("  Buffer.toString('latin1') + Buffer.from(s, 'base64')", () => {
  sink += Buffer.from(textBuf.toString("latin1"), "base64").length;
});
console.log("reference: copies the wasm calls include");
const big = new Uint8Array(textLen);
bench("  Uint8Array.set, 512 KB", () => {
  big.set(src);
});
bench("  Uint8Array.set, 700 KB", () => {
  envelope.set(text, 64);
});
bench("  Uint8Array.slice, 512 KB", () => {
  sink += src.slice().length;
});
if (sink === 42) console.log(sink);
