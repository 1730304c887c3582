/**
 * `--save <dir>`: each received payload becomes a file. The dataname is a peer's choice, so it is
 * reduced to one safe file name (no separators, no leading dots, no control characters), and
 * files are created exclusively: nothing is overwritten and no symlink planted in the directory
 * is followed.
 */
import { open, rm, type FileHandle } from "node:fs/promises";
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

/** With --save, link payloads of the byte types arrive as web streams (smartreceive's `as: "stream"`). */
export const isStream = (v: unknown): v is ReadableStream<Uint8Array> => typeof (v as ReadableStream | null)?.getReader === "function";

/** Create `dir/name` (or `name-1`, … when taken) exclusively: nothing is overwritten, no symlink followed. */
async function createFresh(dir: string, base: string): Promise<{ path: string; file: FileHandle }> {
  const ext = extname(base);
  const stem = base.slice(0, base.length - ext.length);
  for (let i = 0; i < 10_000; i++) {
    const path = join(dir, i === 0 ? base : `${stem}-${i}${ext}`);
    try {
      return { path, file: await open(path, "wx") };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new Error(`${dir} already holds 10000 files named like ${base}`);
}

/**
 * Write the payload into `dir` under a fresh name; returns the path. A streamed payload is written
 * as it arrives; if the stream fails (a cut download, a SHA-256 mismatch at its end) the partial
 * file is removed and the error goes on.
 */
export async function savePayload(dir: string, tuple: ReceivedTuple): Promise<string> {
  const { path, file } = await createFresh(dir, safeFileName(tuple[0], tuple[2]));
  const data: unknown = tuple[1];
  try {
    if (isStream(data)) {
      for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) await file.write(chunk);
    } else {
      await file.writeFile(fileBytes(tuple));
    }
  } catch (e) {
    await file.close();
    await rm(path, { force: true });
    throw e;
  }
  await file.close();
  return path;
}
