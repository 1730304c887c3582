/**
 * How `listen`, `request` and `reply` show a received envelope: a header line, then one line per
 * payload (name, type, transport, size, a short preview), or one JSON object per envelope (--json).
 */
import type { Table } from "apache-arrow";
import { stringifyJson } from "../core/json.js";
import type { ReceivedEnvelope, ReceivedTuple } from "../node.js";
import { printable } from "./printable.js";
import { isStream } from "./save.js";
import { humanBytes } from "./size.js";

const PREVIEW = 60;

/** What travelled, from the raw envelope: smartreceive hands back values, not transports. */
export interface WireFacts {
  transport: string;
  size: number | undefined;
}

export function wireFacts(raw: Uint8Array): WireFacts[] {
  try {
    const env = JSON.parse(new TextDecoder().decode(raw)) as { payloads?: Array<{ transport?: unknown; size?: unknown }> };
    return (env.payloads ?? []).map((p) => ({ transport: String(p?.transport), size: typeof p?.size === "number" ? p.size : undefined }));
  } catch {
    return [];
  }
}

const cut = (s: string) => (s.length > PREVIEW ? `${s.slice(0, PREVIEW)}…` : s);

export function preview([, data, payload_type]: ReceivedTuple): string {
  if (isStream(data)) return "(streamed)";
  switch (payload_type) {
    case "text":
      return cut(JSON.stringify(data));
    case "dictionary":
      return cut(stringifyJson(data));
    case "jsontable":
      return `${(data as unknown[]).length} rows ${cut(stringifyJson(data))}`;
    case "arrowtable": {
      const t = data as Table;
      return cut(`${t.numRows} rows × ${t.numCols} columns: ${t.schema.fields.map((f) => f.name).join(", ")}`);
    }
    default: {
      const b = data as Uint8Array;
      const hex = Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join(" ");
      return b.byteLength > 8 ? `${hex} …` : hex;
    }
  }
}

const byteLength = ([, data, payload_type]: ReceivedTuple): number | undefined => (data instanceof Uint8Array && payload_type !== "text" ? data.byteLength : undefined);

export interface Described {
  env: ReceivedEnvelope;
  subject: string;
  wire: WireFacts[];
  saved: (string | undefined)[];
}

export function describeLines({ env, subject, wire, saved }: Described): string {
  const head = [`${printable(env.sender_name || "?")} → ${printable(subject)}`, `msg_id=${printable(env.msg_id)}`, `correlation_id=${printable(env.correlation_id)}`];
  if (env.reply_to) head.push(`reply_to=${printable(env.reply_to)}`);
  if (env.reply_to_msg_id) head.push(`reply_to_msg_id=${printable(env.reply_to_msg_id)}`);
  const lines = [head.join("  ")];
  env.payloads.forEach((t, i) => {
    const size = wire[i]?.size ?? byteLength(t);
    const cols = [printable(t[0]), t[2], wire[i]?.transport ?? "?", size === undefined ? "?" : humanBytes(size), printable(preview(t))];
    if (saved[i]) cols.push(`→ ${printable(saved[i]!)}`);
    lines.push(`  ${cols.join("  ")}`);
  });
  if (env.payloads.length === 0) lines.push("  (no payloads)");
  return lines.join("\n") + "\n";
}

export function describeJson({ env, subject, wire, saved }: Described): string {
  const { correlation_id, msg_id, timestamp, send_to, msg_purpose, sender_name, sender_id, receiver_name, receiver_id, reply_to, reply_to_msg_id, metadata } = env;
  return (
    stringifyJson({
      subject,
      correlation_id,
      msg_id,
      timestamp,
      send_to,
      msg_purpose,
      sender_name,
      sender_id,
      receiver_name,
      receiver_id,
      reply_to,
      reply_to_msg_id,
      metadata,
      payloads: env.payloads.map((t, i) => ({
        dataname: t[0],
        payload_type: t[2],
        transport: wire[i]?.transport ?? null,
        size: wire[i]?.size ?? byteLength(t) ?? null,
        preview: preview(t),
        ...(saved[i] ? { file: saved[i] } : {}),
      })),
    }) + "\n"
  );
}
