import { NatsBridgeError } from "../errors.js";
import type { JsonTable } from "../types.js";
import { defineOwn, isInheritedName } from "../own-property.js";
import { decodeJson, encodeJson } from "./dictionary.js";
import type { Serializer } from "./registry.js";

/**
 * Rows travel as a JSON array (the seeds' wire form). Julia and Python hold tables by column, so a
 * `{col: [...]}` object is turned into rows on send and, from a peer that sent it anyway, on receive.
 */
export const jsontable: Serializer<unknown, JsonTable> = {
  serialize(data) {
    const rows = toRows(data);
    if (!rows) {
      throw new NatsBridgeError(
        "SERIALIZATION_ERROR",
        "jsontable data must be an array of row objects (or row arrays) or an object of equal-length column arrays",
      );
    }
    return encodeJson(rows, "jsontable");
  },
  deserialize(bytes) {
    const rows = toRows(decodeJson(bytes, "jsontable"));
    if (!rows) throw new NatsBridgeError("DESERIALIZATION_ERROR", "jsontable payload is neither an array of rows nor an object of columns");
    return rows;
  },
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function toRows(data: unknown): JsonTable | null {
  if (Array.isArray(data)) {
    return data.every((r) => isRecord(r) || Array.isArray(r)) ? (data as JsonTable) : null;
  }
  if (!isRecord(data)) return null;
  const names = Object.keys(data);
  const cols = names.map((n) => data[n]);
  if (!cols.every(Array.isArray)) return null;
  const n = cols.length === 0 ? 0 : (cols[0] as unknown[]).length;
  if (!cols.every((c) => (c as unknown[]).length === n)) return null;
  // Every column is an own property of every row, whatever its name ("__proto__", "constructor"…).
  const inherited = names.map(isInheritedName);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < names.length; j++) {
      const value = (cols[j] as unknown[])[i];
      if (inherited[j]) defineOwn(row, names[j]!, value);
      else row[names[j]!] = value;
    }
    rows.push(row);
  }
  return rows as JsonTable;
}
