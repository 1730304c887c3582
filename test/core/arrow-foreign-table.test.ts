/**
 * Issue 12, item 1: a Table built by another copy of apache-arrow than natsbridge's is written
 * correctly (it used to lose its dictionary batches: a file no reader accepts), and what cannot be
 * converted is refused with SERIALIZATION_ERROR, never published. pyarrow reads the result in the
 * Python peer suite (test/interop/python-suite.ts).
 */
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NatsBridgeError } from "../../src/core/errors.js";
import { checkArrowIpc } from "../../src/core/serializers/arrow-ipc-check.js";
import { arrowtable } from "../../src/core/serializers/arrowtable.js";
import { loadForeignArrow, type ForeignArrow } from "../helpers/foreign-arrow.js";

let foreign: ForeignArrow;
beforeAll(async () => {
  foreign = await loadForeignArrow();
});
afterAll(async () => {
  await foreign?.remove();
});

/** Rows as plain JSON, nested vectors and structs included. */
const rowsOf = (t: arrow.Table) => JSON.parse(JSON.stringify(t.toArray(), (_, v) => (typeof v === "bigint" ? `${v}n` : v)));

/** Many column types, built entirely with `A` (a copy of apache-arrow). */
function everyType(A: Pick<typeof arrow, "Table" | "vectorFromArray" | "Field" | "Int32" | "Int64" | "Uint8" | "Float64" | "Bool" | "Utf8" | "LargeUtf8" | "Dictionary" | "TimestampMillisecond" | "DateDay" | "List" | "Struct">) {
  return new A.Table({
    i32: A.vectorFromArray([1, null, 3], new A.Int32()),
    i64: A.vectorFromArray([1n, 2n, null], new A.Int64()),
    u8: A.vectorFromArray([0, 255, 7], new A.Uint8()),
    f64: A.vectorFromArray([0.5, null, -1e10], new A.Float64()),
    bool: A.vectorFromArray([true, false, null], new A.Bool()),
    utf8: A.vectorFromArray(["ä", "", null], new A.Utf8()),
    large: A.vectorFromArray(["x", "yy", "zzz"], new A.LargeUtf8()),
    dict: A.vectorFromArray(["a", "b", "a"], new A.Dictionary(new A.Utf8(), new A.Int32())),
    ts: A.vectorFromArray([new Date(0), new Date(86_400_000), null], new A.TimestampMillisecond("UTC")),
    day: A.vectorFromArray([new Date(0), null, new Date(86_400_000)], new A.DateDay()),
    list: A.vectorFromArray([[1, 2], [], null], new A.List(new A.Field("item", new A.Int32(), true))),
    struct: A.vectorFromArray([{ a: 1, b: "x" }, null, { a: 3, b: "z" }], new A.Struct([new A.Field("a", new A.Int32(), true), new A.Field("b", new A.Utf8(), true)])),
  });
}

describe("arrowtable: a Table from another copy of apache-arrow", () => {
  it("is really another copy: its classes are not natsbridge's", () => {
    expect(foreign.arrow.Table).not.toBe(arrow.Table);
    expect(foreign.arrow.tableFromJSON([{ a: 1 }]).schema.fields[0]!.type instanceof arrow.DataType).toBe(false);
  });

  it("the issue's table (a dictionary-encoded string column) is written whole: same bytes as our own copy writes, read back equal", async () => {
    const rows = [{ id: 1, name: "Alice", score: 95.5 }];
    const bytes = await arrowtable.serialize(foreign.arrow.tableFromJSON(rows));
    expect(bytes).toEqual(arrow.tableToIPC(arrow.tableFromJSON(rows), "file"));
    expect(rowsOf(arrow.tableFromIPC(bytes))).toEqual(rows);
  });

  it("every column type comes back with its values and types", async () => {
    const table = everyType(foreign.arrow);
    const bytes = await arrowtable.serialize(table);
    expect(checkArrowIpc(bytes)).toMatchObject({ rows: 3, columns: table.numCols });
    const back = await arrowtable.deserialize(bytes);
    expect(rowsOf(back)).toEqual(rowsOf(everyType(arrow)));
    expect(back.schema.fields.map((f) => String(f.type))).toEqual(table.schema.fields.map((f) => String(f.type)));
  });

  it("our Table holding a column built by the other copy is adopted too", async () => {
    const mixed = new arrow.Table({ id: arrow.vectorFromArray([1, 2], new arrow.Int32()), tag: foreign.arrow.vectorFromArray(["a", "b"], new foreign.arrow.Dictionary(new foreign.arrow.Utf8(), new foreign.arrow.Int32())) as any });
    const back = await arrowtable.deserialize(await arrowtable.serialize(mixed));
    expect(rowsOf(back)).toEqual([{ id: 1, tag: "a" }, { id: 2, tag: "b" }]);
  });

  it("a table from our own copy is written as before", async () => {
    const table = everyType(arrow);
    expect(await arrowtable.serialize(table)).toEqual(arrow.tableToIPC(table, "file"));
  });

  it("a table-like object whose types cannot be converted is refused with SERIALIZATION_ERROR", async () => {
    const alien = { schema: { fields: [{ name: "x", nullable: true, metadata: new Map(), type: { typeId: 99 } }], metadata: new Map() }, batches: [], getChild: () => null };
    const err = await (async () => arrowtable.serialize(alien))().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NatsBridgeError);
    expect((err as NatsBridgeError).code).toBe("SERIALIZATION_ERROR");
    expect((err as NatsBridgeError).message).toMatch(/another copy of apache-arrow/);
  });
});
