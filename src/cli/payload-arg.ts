/**
 * `<name>=<value>[:type]` arguments → smartsend tuples.
 *
 *   name=@<json>       a JSON value (dictionary unless :type says jsontable, arrowtable or text)
 *   name=<file>        an existing file; its type guessed from the extension unless :type is given
 *   name=<text>        anything else is text — unless it looks like a file path (a `/` or `\`, or
 *                      ends in an extension): a mistyped path must not go out as text. `:text` or
 *                      `@"…"` sends such a value as text all the same.
 *
 * `:type` is recognised only when it names a payload type, so `at=12:30` stays the text "12:30".
 */
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { tableFromIPC } from "apache-arrow";
import { payloadTypes, type PayloadType, type SendTuple } from "../node.js";
import { parseJson } from "../core/json.js";
import { UsageError } from "./usage-error.js";

const BY_EXTENSION: Record<string, PayloadType> = {};
const extensions: Array<[PayloadType, string]> = [
  ["text", "txt md markdown csv tsv log html htm xml yaml yml ini toml"],
  ["dictionary", "json"],
  ["arrowtable", "arrow arrows feather ipc"],
  ["image", "png jpg jpeg gif webp bmp tif tiff ico svg avif heic"],
  ["audio", "wav mp3 ogg oga flac m4a aac opus weba"],
  ["video", "mp4 m4v mov avi mkv webm mpg mpeg ogv"],
];
for (const [type, list] of extensions) for (const ext of list.split(" ")) BY_EXTENSION[ext] = type;

const BYTES_TYPES = new Set(["image", "audio", "video", "binary"]);

/** The type a file of this name is sent as when the argument does not say. */
export function typeForFile(path: string): PayloadType {
  return BY_EXTENSION[extname(path).slice(1).toLowerCase()] ?? "binary";
}

export interface PayloadArg {
  name: string;
  source: { kind: "json"; text: string } | { kind: "file"; path: string } | { kind: "text"; text: string };
  type: PayloadType;
}

const looksLikePath = (v: string) => /[/\\]/.test(v) || /^[^\s]+\.[A-Za-z0-9]{1,8}$/.test(v);

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Split `name=value[:type]` and decide where the value comes from. */
export async function parsePayloadArg(arg: string): Promise<PayloadArg> {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new UsageError(`payload ${JSON.stringify(arg)} must look like name=value (name=@json, name=file or name=text, optionally :type)`);
  const name = arg.slice(0, eq);
  let value = arg.slice(eq + 1);
  let type: PayloadType | undefined;
  const colon = value.lastIndexOf(":");
  if (colon >= 0 && payloadTypes().includes(value.slice(colon + 1))) {
    type = value.slice(colon + 1) as PayloadType;
    value = value.slice(0, colon);
  }
  if (value.startsWith("@")) return { name, source: { kind: "json", text: value.slice(1) }, type: type ?? "dictionary" };
  if (await isFile(value)) return { name, source: { kind: "file", path: value }, type: type ?? typeForFile(value) };
  if (type === undefined && looksLikePath(value)) {
    throw new UsageError(`no such file: ${value} (to send it as text, write ${name}=${value}:text)`);
  }
  if (type !== undefined && type !== "text") {
    throw new UsageError(`${name}: a ${type} payload needs a file or @json, and ${JSON.stringify(value)} is neither`);
  }
  return { name, source: { kind: "text", text: value }, type: "text" };
}

function parseJsonArg(name: string, text: string, where: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    throw new UsageError(`${name}: ${where} is not valid JSON (${(e as Error).message})`);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The data smartsend gets for a parsed argument. */
export async function loadPayload(p: PayloadArg): Promise<SendTuple> {
  const { name, type, source } = p;
  if (source.kind === "text") return [name, source.text, "text"];
  if (source.kind === "json") {
    const value = parseJsonArg(name, source.text, "the value after @");
    if (type === "text" && typeof value !== "string") throw new UsageError(`${name}: a text payload given as @json must be a JSON string`);
    return [name, value, type] as SendTuple;
  }
  const bytes = new Uint8Array(await readFile(source.path));
  if (BYTES_TYPES.has(type)) return [name, bytes, type] as SendTuple;
  if (type === "arrowtable") {
    try {
      return [name, tableFromIPC(bytes), "arrowtable"];
    } catch (e) {
      throw new UsageError(`${name}: ${source.path} is not an Arrow IPC file (${(e as Error).message}); add :binary to send its bytes`);
    }
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new UsageError(`${name}: ${source.path} is not UTF-8 text; add :binary to send its bytes`);
  }
  if (type === "text") return [name, text, "text"];
  return [name, parseJsonArg(name, text, source.path), type] as SendTuple;
}

export async function payloadsFromArgs(args: readonly string[]): Promise<SendTuple[]> {
  const out: SendTuple[] = [];
  for (const a of args) out.push(await loadPayload(await parsePayloadArg(a)));
  return out;
}
