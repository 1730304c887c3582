/**
 * `--save <dir>`: each received payload becomes a file. The dataname is a peer's choice, so it is
 * reduced to one safe file name (no separators, no leading dots, no control characters), and
 * files are created exclusively: nothing is overwritten and no symlink planted in the directory
 * is followed.
 */
import { open } from "node:fs/promises";
import { extname, join } from "node:path";
import { tableToIPC, type Table } from "apache-arrow";
import { stringifyJson } from "../core/json.js";
import type { ReceivedTuple } from "../node.js";

const EXTENSION: Record<string, string> = { text: ".txt", dictionary: ".json", jsontable: ".json", arrowtable: ".arrow" };
const MAX_NAME = 200;

/** `photo.png` has one; `v1.2.3-beta_` or `_.._escape_` do not, as far as a file manager is concerned. */
const hasExtension = (name: string) => /^\.[A-Za-z0-9]{1,10}$/.test(extname(name));

export function safeFileName(dataname: string, payload_type: string): string {
  let name = dataname.replace(/[/\\\u0000-\u001f\u007f-\u009f"<>|:*?]/g, "_").replace(/^[.\s]+/, "");
  if (name.length > MAX_NAME) name = name.slice(0, MAX_NAME);
  if (name === "") name = "payload";
  if (!hasExtension(name)) name += EXTENSION[payload_type] ?? ".bin";
  return name;
}

/** The bytes a payload is saved as: text as UTF-8, JSON types as JSON, tables as Arrow IPC files. */
export function fileBytes([, data, payload_type]: ReceivedTuple): Uint8Array {
  switch (payload_type) {
    case "text":
      return new TextEncoder().encode(data as string);
    case "dictionary":
    case "jsontable":
      return new TextEncoder().encode(stringifyJson(data));
    case "arrowtable":
      return tableToIPC(data as Table, "file");
    default:
      return data as Uint8Array;
  }
}

/** Write the payload into `dir` under a fresh name (`name`, `name-1`, …); returns the path. */
export async function savePayload(dir: string, tuple: ReceivedTuple): Promise<string> {
  const base = safeFileName(tuple[0], tuple[2]);
  const ext = extname(base);
  const stem = base.slice(0, base.length - ext.length);
  const bytes = fileBytes(tuple);
  for (let i = 0; i < 10_000; i++) {
    const path = join(dir, i === 0 ? base : `${stem}-${i}${ext}`);
    let file;
    try {
      file = await open(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw e;
    }
    try {
      await file.writeFile(bytes);
    } finally {
      await file.close();
    }
    return path;
  }
  throw new Error(`${dir} already holds 10000 files named like ${base}`);
}
