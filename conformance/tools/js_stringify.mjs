#!/usr/bin/env node
// Ground truth for "what natsbridge sends" as JSON: reads a JSON array of marked values on stdin
// ({"$bigint": "..."} → BigInt, {"$hex"|"$base64"} are not JSON and rejected), writes a JSON array
// of the strings JavaScript's JSON.stringify produces for them, with bigints written as plain
// integer literals (docs/wire-format.md, "JSON numbers"). Used by gen_vectors.py; independent of
// both natsbridge's src/ and natsbridge_mpy.py so the vectors check them instead of echoing them.
import { readFileSync } from "node:fs";

const MARK = "\u0000js-stringify-bigint:";

function unmark(v) {
  if (Array.isArray(v)) return v.map(unmark);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bigint") return BigInt(v.$bigint);
    if (keys.length === 1 && (keys[0] === "$hex" || keys[0] === "$base64")) throw new Error("bytes are not JSON");
    const o = {};
    for (const k of keys) o[k] = unmark(v[k]);
    return o;
  }
  return v;
}

function stringify(value) {
  const s = JSON.stringify(value, (_k, x) => (typeof x === "bigint" ? MARK + x.toString() : x));
  return s.replace(/"\\u0000js-stringify-bigint:(-?\d+)"/g, "$1");
}

const input = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(input.map((v) => stringify(unmark(v)))));
