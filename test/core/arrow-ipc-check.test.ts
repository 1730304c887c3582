/**
 * Issue 8, item 1: Arrow IPC is checked structurally before apache-arrow reads it.
 * Inputs that made apache-arrow hang run in a child process under a watchdog, so a regression
 * fails the test instead of freezing the suite.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Field, Int32, List, Null, Schema, Struct, Table, makeData, RecordBatch, tableFromIPC, tableToIPC, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { NatsBridgeError } from "../../src/core/errors.js";
import { Field as FbField } from "apache-arrow/fb/field";
import { Message as FbMessage } from "apache-arrow/fb/message";
import { Schema as FbSchema } from "apache-arrow/fb/schema";
import { Footer } from "apache-arrow/ipc/metadata/file";
import { Builder } from "flatbuffers"; // apache-arrow's own dependency, to forge metadata
import { checkArrowIpc } from "../../src/core/serializers/arrow-ipc-check.js";
import { arrowtable } from "../../src/core/serializers/arrowtable.js";
import { requirePythonPeer } from "../interop/python-suite.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const helper = (name: string) => join(root, "test", "helpers", name);

/** Runs a helper script in its own Node process; the watchdog kills it and fails the test if it overruns. */
function runWatched(script: string, args: string[], watchdogMs: number): Promise<any> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    child.stderr.on("data", (b: Buffer) => (err = (err + b).slice(-4000)));
    const watchdog = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`watchdog: ${script} ${args.join(" ")} still running after ${watchdogMs} ms (an input hangs the reader)`));
    }, watchdogMs);
    child.on("exit", (code) => {
      clearTimeout(watchdog);
      if (code === 0) res(JSON.parse(out.trim().split("\n").pop()!));
      else rej(new Error(`${script} exited ${code}: ${err}`));
    });
  });
}

async function codeOf(bytes: Uint8Array): Promise<string> {
  try {
    await arrowtable.deserialize(bytes);
    return "accepted";
  } catch (e) {
    return e instanceof NatsBridgeError ? e.code : `uncoded ${e}`;
  }
}

describe("arrowtable: hostile Arrow IPC is refused before apache-arrow reads it", () => {
  it("one byte inserted at offset 44 of a ~1.4 KB envelope: DESERIALIZATION_ERROR, no hang (issue 8 reproducer)", async () => {
    for (const value of [0, 65, 255]) {
      const got = await runWatched(helper("arrow-insert-reproducer.ts"), [String(value)], 60_000);
      expect(got.code).toBe("DESERIALIZATION_ERROR");
    }
  }, 200_000);

  for (const format of ["file", "stream"]) {
    it(`every byte of a small ${format}-format payload bit-flipped, replaced by edge values, preceded by an inserted byte, deleted: a coded refusal or a table the bytes can hold`, async () => {
      const r = await runWatched(helper("arrow-mutation-sweep.ts"), [format], 90_000);
      expect(r.failures).toEqual([]);
      expect(r.inputs).toBeGreaterThan(r.bytes * 15);
      // Both outcomes occur: mutated cell values are still valid Arrow, mutated structure is not.
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.refused).toBeGreaterThan(r.accepted);
    }, 120_000);
  }

  it("a batch claiming 2^32 rows from a few hundred bytes is refused", async () => {
    const valid = tableToIPC(new Table({ x: vectorFromArray([null, null], new Null()) }), "stream");
    // RecordBatch.length and the FieldNode length are int64: set bit 32 of each occurrence of 2.
    const forged = valid.slice();
    const dv = new DataView(forged.buffer);
    let patched = 0;
    for (let i = 0; i + 8 <= forged.length; i += 4) {
      if (dv.getUint32(i, true) === 2 && dv.getUint32(i + 4, true) === 0) (dv.setUint32(i + 4, 1, true), patched++);
    }
    expect(patched).toBeGreaterThan(0);
    expect(tableFromIPC(forged).numRows).toBeGreaterThan(2 ** 32); // what apache-arrow alone reports
    expect(await codeOf(forged)).toBe("DESERIALIZATION_ERROR");
  });

  it("a Null column of more rows than 8 per payload byte is refused; a shorter one is read", async () => {
    const nullTable = (rows: number) => new Table(new RecordBatch(new Schema([new Field("n", new Null())]), makeData({ type: new Struct([new Field("n", new Null())]), length: rows, children: [makeData({ type: new Null(), length: rows })] })));
    const small = tableToIPC(nullTable(1000), "file");
    expect((await arrowtable.deserialize(small)).numRows).toBe(1000);
    const huge = tableToIPC(nullTable(small.length * 8 + 1), "file");
    expect(await codeOf(huge)).toBe("DESERIALIZATION_ERROR");
  });

  it("fields nested deeper than 64 levels are refused, 64 levels are read", async () => {
    const nested = (levels: number) => {
      let type: any = new Int32();
      for (let i = 1; i < levels; i++) type = new List(new Field("item", type, true));
      return tableToIPC(new Table(new Schema([new Field("deep", type, true)])), "stream");
    };
    expect(checkArrowIpc(nested(64)).columns).toBe(1);
    expect(await codeOf(nested(65))).toBe("DESERIALIZATION_ERROR");
  });

  it("a schema whose field tables are shared (a DAG: 300 × 300 × 300 paths from 2 KB) is refused", async () => {
    const b = new Builder(4096);
    const field = (typeType: number, children?: number[]) => {
      const vec = children && FbField.createChildrenVector(b, children);
      FbField.startField(b);
      FbField.addTypeType(b, typeType);
      if (vec !== undefined) FbField.addChildren(b, vec);
      return FbField.endField(b);
    };
    const NULL = 1;
    const STRUCT = 13;
    let shared = field(NULL);
    for (let level = 0; level < 2; level++) shared = field(STRUCT, Array(300).fill(shared));
    const fields = FbSchema.createFieldsVector(b, Array(300).fill(shared));
    FbSchema.startSchema(b);
    FbSchema.addFields(b, fields);
    const schema = FbSchema.endSchema(b);
    FbMessage.startMessage(b);
    FbMessage.addVersion(b, 4); // V5
    FbMessage.addHeaderType(b, 1); // Schema
    FbMessage.addHeader(b, schema);
    FbMessage.addBodyLength(b, 0n);
    b.finish(FbMessage.endMessage(b));
    const metadata = b.asUint8Array();
    const padded = (metadata.length + 7) & ~7;
    const stream = new Uint8Array(8 + padded + 8);
    const dv = new DataView(stream.buffer);
    dv.setInt32(0, -1, true);
    dv.setInt32(4, padded, true);
    stream.set(metadata, 8);
    dv.setInt32(8 + padded, -1, true); // end-of-stream marker
    expect(stream.length).toBeLessThan(8000);
    const err = await (async () => arrowtable.deserialize(stream))().then(() => undefined, (e: unknown) => e);
    expect((err as NatsBridgeError).code).toBe("DESERIALIZATION_ERROR");
    expect((err as NatsBridgeError).message).toMatch(/shared/);
  });

  it("a file whose footer names the same record batch many times is refused (work would multiply)", async () => {
    const valid = tableToIPC(new Table({ x: vectorFromArray([1, 2, 3], new Int32()) }), "file");
    const footerLength = new DataView(valid.buffer, valid.byteOffset).getInt32(valid.length - 10, true);
    const footerStart = valid.length - 10 - footerLength;
    const footer = Footer.decode(valid.subarray(footerStart, valid.length - 10));
    const block = footer.getRecordBatch(0)!;
    // The same footer with its one block listed 1000 times: apache-arrow reads the batch 1000 times.
    const forgedFooter = Footer.encode(new Footer(footer.schema, footer.version, Array(1000).fill(block), []));
    const forged = new Uint8Array(footerStart + forgedFooter.length + 10);
    forged.set(valid.subarray(0, footerStart));
    forged.set(forgedFooter, footerStart);
    new DataView(forged.buffer).setInt32(footerStart + forgedFooter.length, forgedFooter.length, true);
    forged.set(valid.subarray(valid.length - 6), forged.length - 6);
    expect(tableFromIPC(forged).numRows).toBe(3000);
    expect(checkArrowIpc(valid).rows).toBe(3);
    expect(await codeOf(forged)).toBe("DESERIALIZATION_ERROR");
  });
});

describe("arrowtable: valid Arrow IPC from pyarrow is accepted, documented exceptions refused", () => {
  const python = requirePythonPeer();
  const r = spawnSync(python, [join(root, "test", "fixtures", "arrow_valid_payloads.py")], { encoding: "utf8", maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`arrow_valid_payloads.py failed: ${r.stderr}`);
  const { valid, refused } = JSON.parse(r.stdout) as Record<"valid" | "refused", Array<{ name: string; format: string; rows: number; b64: string }>>;

  it.each(valid.map((v) => [`${v.name} (${v.format})`, v] as const))("%s", async (_, v) => {
    const bytes = new Uint8Array(Buffer.from(v.b64, "base64"));
    expect(checkArrowIpc(bytes)).toMatchObject({ format: v.format, rows: v.rows });
    expect((await arrowtable.deserialize(bytes)).numRows).toBe(v.rows);
  });

  it.each(refused.map((v) => [`${v.name} (${v.format})`, v] as const))("refused: %s", async (_, v) => {
    expect(await codeOf(new Uint8Array(Buffer.from(v.b64, "base64")))).toBe("DESERIALIZATION_ERROR");
  });

  it("every bit flip of pyarrow payloads of the intricate types: a coded refusal or a table whose every cell reads", async () => {
    const dir = await mkdtemp(join(tmpdir(), "natsbridge-arrow-"));
    try {
      await writeFile(join(dir, "payloads.json"), r.stdout);
      const names = ["dense_union", "sparse_union", "date64", "map", "utf8_view", "binary_view", "list_of_dict", "large_list", "fsl", "struct", "dict-delta", "legacy-stream-v4"];
      const got = await runWatched(helper("arrow-mutation-sweep.ts"), ["pyarrow", join(dir, "payloads.json"), ...names], 90_000);
      expect(got.failures).toEqual([]);
      expect(got.inputs).toBe(got.bytes * 8);
      expect(got.accepted).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
