/**
 * Child process of test/core/arrow-ipc-check.test.ts (run with `node --import tsx`): at every
 * byte of a small valid Arrow IPC payload, each of its 8 bit flips, the edge values 0x00 0x01 0x7f
 * 0x80 0xfe 0xff, an inserted 0x00 / 0xff / copy before it, and its deletion go through the
 * arrowtable deserializer (`--all-values`: all 255 replacements per byte, ~200,000 inputs per
 * format; too slow for every test run). Each outcome must be either
 *   - a coded DESERIALIZATION_ERROR, or
 *   - a table whose rows and columns are what the structural check counted, no more rows than
 *     8 per payload byte, and every cell of which can be read without an exception.
 * Arguments: file | stream, optionally --all-values; or `pyarrow <fixture.json> <name>...`: every
 * bit flip of the named stream-format payloads written by test/fixtures/arrow_valid_payloads.py. Prints one JSON line: counts per outcome and the first offending inputs.
 * The parent runs it under a watchdog, so an input that hangs apache-arrow fails the test.
 */
import { readFileSync } from "node:fs";
import { tableToIPC, vectorFromArray, Dictionary, Int32, Utf8, Table } from "apache-arrow";
import { isNatsBridgeError } from "../../src/core/errors.js";
import { checkArrowIpc } from "../../src/core/serializers/arrow-ipc-check.js";
import { arrowtable } from "../../src/core/serializers/arrowtable.js";

function sampleTable(): Table {
  return new Table({
    id: vectorFromArray([1, null, 3], new Int32()),
    tag: vectorFromArray(["a", "bc", "a"], new Dictionary(new Utf8(), new Int32())),
  });
}

interface Tally {
  inputs: number;
  accepted: number;
  refused: number;
  failures: string[];
}

async function outcome(bytes: Uint8Array, label: string, t: Tally): Promise<void> {
  t.inputs++;
  let table: Table;
  try {
    table = await arrowtable.deserialize(bytes);
  } catch (e) {
    if (isNatsBridgeError(e, "DESERIALIZATION_ERROR")) t.refused++;
    else t.failures.push(`${label}: uncoded ${(e as Error)?.name}: ${(e as Error)?.message}`);
    return;
  }
  t.accepted++;
  const why = acceptedButWrong(bytes, table);
  if (why) t.failures.push(`${label}: ${why}`);
}

function acceptedButWrong(bytes: Uint8Array, table: Table): string | undefined {
  if (table.numRows > bytes.length * 8) return `table claims ${table.numRows} rows from ${bytes.length} bytes`;
  let s: ReturnType<typeof checkArrowIpc>;
  try {
    s = checkArrowIpc(bytes);
  } catch (e) {
    return `read as a table although the check refuses it (${(e as Error).message})`;
  }
  if (table.numRows !== s.rows || table.numCols !== s.columns) return `table ${table.numRows}x${table.numCols}, check counted ${s.rows}x${s.columns}`;
  try {
    for (let c = 0; c < table.numCols; c++) {
      const col = table.getChildAt(c)!;
      if (col.length !== table.numRows) return `column ${c} has ${col.length} rows of ${table.numRows}`;
      for (let i = 0; i < col.length; i++) col.get(i);
    }
  } catch (e) {
    return `reading a cell threw ${(e as Error)?.name}: ${(e as Error)?.message}`;
  }
  return undefined;
}

const allValues = process.argv.includes("--all-values");

/** Values to put in place of byte `b`: bit flips and edge values, or all 255 others. */
function replacements(b: number): number[] {
  const values = allValues ? Array.from({ length: 256 }, (_, v) => v) : [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => b ^ (1 << i))];
  return [...new Set(values)].filter((v) => v !== b);
}

async function sweep(valid: Uint8Array, format: string): Promise<Tally> {
  const t: Tally = { inputs: 0, accepted: 0, refused: 0, failures: [] };
  const m = new Uint8Array(valid.length + 1);
  for (let at = 0; at < valid.length; at++) {
    const replaced = valid.slice();
    for (const v of replacements(valid[at]!)) {
      replaced[at] = v;
      await outcome(replaced, `${format} [${at}]=${v}`, t);
    }
    for (const v of [0x00, 0xff, valid[at]!]) {
      m.set(valid.subarray(0, at));
      m[at] = v;
      m.set(valid.subarray(at), at + 1);
      await outcome(m.slice(), `${format} insert ${v} at ${at}`, t);
    }
    const deleted = new Uint8Array(valid.length - 1);
    deleted.set(valid.subarray(0, at));
    deleted.set(valid.subarray(at + 1), at);
    await outcome(deleted, `${format} delete ${at}`, t);
    if (t.failures.length > 20) break;
  }
  return t;
}

/** Bit flips only, at every byte: for the pyarrow payloads of many types. */
async function flipBits(valid: Uint8Array, label: string, t: Tally): Promise<void> {
  const flipped = valid.slice();
  for (let at = 0; at < valid.length && t.failures.length <= 20; at++) {
    for (let i = 0; i < 8; i++) {
      flipped[at] = valid[at]! ^ (1 << i);
      await outcome(flipped, `${label} [${at}] bit ${i}`, t);
    }
    flipped[at] = valid[at]!;
  }
}

if (process.argv[2] === "pyarrow") {
  // pyarrow payloads (test/fixtures/arrow_valid_payloads.py output, path in argv[3]) named in argv[4..]
  const { valid } = JSON.parse(readFileSync(process.argv[3]!, "utf8")) as { valid: Array<{ name: string; format: string; b64: string }> };
  const names = process.argv.slice(4);
  const t: Tally = { inputs: 0, accepted: 0, refused: 0, failures: [] };
  let bytes = 0;
  for (const v of valid.filter((v) => names.includes(v.name) && v.format === "stream")) {
    const b = new Uint8Array(Buffer.from(v.b64, "base64"));
    bytes += b.length;
    await flipBits(b, v.name, t);
  }
  process.stdout.write(JSON.stringify({ format: "pyarrow stream", bytes, ...t }) + "\n");
} else {
  const format = process.argv.includes("stream") ? "stream" : "file";
  const valid = tableToIPC(sampleTable(), format);
  process.stdout.write(JSON.stringify({ format, bytes: valid.length, ...(await sweep(valid, format)) }) + "\n");
}
