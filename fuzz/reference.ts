/**
 * The fuzz oracle: an independent, deliberately plain decoder of the wire format (JSON.parse,
 * Buffer base64, TextDecoder), written without natsbridge's code. It does not judge what
 * natsbridge refuses; it judges every value natsbridge returns: that value must be what these few
 * lines make of the same envelope, or natsbridge returned something silently wrong.
 */
import { createHash } from "node:crypto";

export type Summary = { name: string; type: string; bytes?: string; n?: number; text?: string; json?: string; rows?: number; cols?: number };

const sha = (b: Uint8Array) => createHash("sha1").update(b).digest("hex");
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));

function base64(text: string): Uint8Array | null {
  const s = text.replace(/[\t\n\r ]/g, "");
  if (!BASE64.test(s) || s.length % 4 === 1) return null;
  return Buffer.from(s, "base64");
}

function rows(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v.every((r) => typeof r === "object" && r !== null) ? v : null;
  if (typeof v !== "object" || v === null) return null;
  const cols = Object.entries(v);
  if (!cols.every(([, c]) => Array.isArray(c))) return null;
  const n = cols.length ? (cols[0]![1] as unknown[]).length : 0;
  if (!cols.every(([, c]) => (c as unknown[]).length === n)) return null;
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const [k, c] of cols) Object.defineProperty(row, k, { value: (c as unknown[])[i], enumerable: true, writable: true, configurable: true });
    return row;
  });
}

/** Why `got` (natsbridge's result for `text`) is wrong, or null when the reference agrees. */
export function judge(text: string, got: Summary[], linked: Map<string, Uint8Array>): string | null {
  let env: any;
  try {
    env = JSON.parse(text);
  } catch {
    return "natsbridge accepted text that is not JSON";
  }
  if (!Array.isArray(env?.payloads) || env.payloads.length !== got.length) return "payload count differs";
  for (let i = 0; i < got.length; i++) {
    const p = env.payloads[i];
    const g = got[i]!;
    if (g.name !== p.dataname) return `payload ${i}: dataname differs`;
    const type = p.payload_type ?? p.type;
    if (g.type !== (type === "table" ? "arrowtable" : type)) return `payload ${i}: type differs`;
    const bytes = p.transport === "direct" ? base64(p.data) : p.transport === "link" ? (linked.get(p.data) ?? null) : null;
    if (!bytes) return `payload ${i}: natsbridge returned a value the reference cannot find (${p.transport})`;
    if (p.size != null && p.size !== bytes.byteLength) return `payload ${i}: size ${p.size} but ${bytes.byteLength} bytes accepted`;
    try {
      if (g.type === "text") {
        if (g.text !== utf8.decode(bytes)) return `payload ${i}: text differs`;
      } else if (g.type === "dictionary") {
        if (g.json !== json(JSON.parse(utf8.decode(bytes)))) return `payload ${i}: dictionary differs`;
      } else if (g.type === "jsontable") {
        const r = rows(JSON.parse(utf8.decode(bytes)));
        if (!r || g.json !== json(r)) return `payload ${i}: jsontable differs`;
      } else if (g.type === "arrowtable") {
        // Not decoded here (that would be apache-arrow again); a table cannot hold more rows than bits.
        if ((g.rows ?? 0) > bytes.byteLength * 8 + 8) return `payload ${i}: ${g.rows} rows from ${bytes.byteLength} bytes`;
      } else if (g.bytes !== sha(bytes)) return `payload ${i}: bytes differ`;
    } catch (e) {
      return `payload ${i}: natsbridge decoded what the reference cannot (${(e as Error).message})`;
    }
  }
  return null;
}
