import { describe, expect, it } from "vitest";
import { smartreceive, smartsend } from "../../src/node.js";

/**
 * Issue 8, item 7: keys a peer sends are plain data. Every key is an own property of the value
 * returned, with its value; none of them reaches a prototype ("__proto__") or is lost.
 */

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A canonical envelope with one direct payload whose serialized form is `json`. */
function envelopeWith(payload_type: string, json: string): string {
  const size = Buffer.byteLength(json);
  return JSON.stringify({
    correlation_id: "c", msg_id: "m", timestamp: "2026-01-01T00:00:00Z", send_to: "keys", msg_purpose: "", sender_name: "",
    sender_id: "", receiver_name: "", receiver_id: "", reply_to: "", reply_to_msg_id: "", broker_url: "", metadata: {},
    payloads: [{ id: "p", dataname: "t", payload_type, transport: "direct", encoding: "base64", size, data: b64(json), metadata: {} }],
  });
}

async function received(payload_type: string, json: string): Promise<unknown> {
  return (await smartreceive(envelopeWith(payload_type, json))).payloads[0]![1];
}

const INHERITED_NAMES = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"];

/** An object with these own keys; unlike an object literal, `__proto__` here is a key (CreateDataProperty). */
const own = (entries: Record<string, unknown> | Array<[string, unknown]>) => Object.fromEntries(Array.isArray(entries) ? entries : Object.entries(entries));

/** The row holds exactly `want` as own data, and its prototype is still Object.prototype. */
function expectPlainRow(row: unknown, want: Record<string, unknown>): void {
  const r = row as Record<string, unknown>;
  expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
  expect(Object.keys(r).sort()).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) {
    expect(Object.getOwnPropertyDescriptor(r, k), k).toMatchObject({ value: v, writable: true, enumerable: true, configurable: true });
  }
  expect(r.isAdmin).toBeUndefined();
}

describe("jsontable: column names that objects inherit stay columns", () => {
  it("a column named __proto__ is an own key of every row, never the rows' prototype", async () => {
    const rows = (await received("jsontable", '{"__proto__":[{"isAdmin":true},{"isAdmin":true}],"name":["a","b"]}')) as unknown[];
    expect(rows).toHaveLength(2);
    expectPlainRow(rows[0], own([["__proto__", { isAdmin: true }], ["name", "a"]]));
    expectPlainRow(rows[1], own([["__proto__", { isAdmin: true }], ["name", "b"]]));
  });

  it("so are constructor, prototype, toString, hasOwnProperty, valueOf and __defineGetter__", async () => {
    const columns = Object.fromEntries(INHERITED_NAMES.map((n, i) => [n, [i, `${n}!`]]));
    const rows = (await received("jsontable", JSON.stringify(columns))) as unknown[];
    expectPlainRow(rows[0], Object.fromEntries(INHERITED_NAMES.map((n, i) => [n, i])));
    expectPlainRow(rows[1], Object.fromEntries(INHERITED_NAMES.map((n) => [n, `${n}!`])));
  });

  it("row objects sent as rows keep a __proto__ key as data, exact integers too", async () => {
    const rows = (await received("jsontable", '[{"__proto__":{"isAdmin":true},"id":12345678901234567890}]')) as unknown[];
    expectPlainRow(rows[0], own([["__proto__", { isAdmin: true }], ["id", 12345678901234567890n]]));
  });

  it("smartsend turns columns into rows the same way: the __proto__ column travels", async () => {
    const columns = JSON.parse('{"__proto__":[1,2],"constructor":[3,4]}');
    const [, json] = await smartsend("keys", [["t", columns, "jsontable"]], { is_publish: false });
    const wire = JSON.parse(Buffer.from(JSON.parse(json).payloads[0].data, "base64").toString("utf8"));
    expect(wire).toEqual(JSON.parse('[{"__proto__":1,"constructor":3},{"__proto__":2,"constructor":4}]'));
    const rows = (await smartreceive(json)).payloads[0]![1] as unknown[];
    expectPlainRow(rows[1], own([["__proto__", 2], ["constructor", 4]]));
  });
});

describe("dictionary: every key is an own property", () => {
  it("__proto__ at the top and nested, on the plain and the exact-integer path", async () => {
    for (const big of ["1", "12345678901234567890"]) {
      const d = (await received("dictionary", `{"__proto__":{"isAdmin":true},"n":${big},"inner":[{"__proto__":{"x":1}}]}`)) as Record<string, any>;
      expectPlainRow(d, own([["__proto__", { isAdmin: true }], ["n", big === "1" ? 1 : BigInt(big)], ["inner", [own([["__proto__", { x: 1 }]])]]]));
      expect(Object.keys(d.inner[0])).toEqual(["__proto__"]);
      expect(d.inner[0].x).toBeUndefined();
    }
  });
});
