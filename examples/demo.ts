/**
 * npm run demo — one mixed NATSBridge message, end to end, on embedded defaults:
 * a real nats-server and the built-in dev file server on free loopback ports, a receiver
 * subscribed with nats.js, and smartsend choosing direct or link per payload.
 */
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { connect } from "nats";
import { tableFromArrays, type Table } from "apache-arrow";
import { smartsend, smartreceive, close } from "../src/node.js";
import { startFileServer } from "../src/fileserver.js";
import { startNatsServer } from "../test/helpers/nats-server.js";

const subject = "demo.chat.room1";

const nats = await startNatsServer();
const files = await startFileServer();
console.log(`nats-server   ${nats.url}  (websocket ${nats.wsUrl})`);
console.log(`file server   ${files.url}  (Plik protocol, one-shot uploads)\n`);

const receiver = await connect({ servers: nats.url, name: "demo-receiver" });
const sub = receiver.subscribe(subject, { max: 1 });
await receiver.flush();

const bigBinary = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
const [sent] = await smartsend(
  subject,
  [
    ["message", "Hello from natsbridge 👋", "text"],
    ["config", { wifi_ssid: "MyNetwork", update_interval: 60, tags: ["a", "b"] }, "dictionary"],
    ["users", [{ Name: "Alice", Age: 25, Score: 88.5 }, { Name: "Bob", Age: 30, Score: 92.0 }], "jsontable"],
    ["students", tableFromArrays({ id: Int32Array.from([1, 2, 3]), name: ["Alice", "Bob", "Charlie"], score: Float64Array.from([95, 88, 92]) }), "arrowtable"],
    ["avatar", png(32, 32), "image"],
    ["dataset", bigBinary, "binary"],
  ],
  { broker_url: nats.url, fileserver_url: files.url, sender_name: "demo-sender" },
);

console.log(`sent ${sent.msg_id} (correlation ${sent.correlation_id})`);
for (const p of sent.payloads) {
  console.log(`  ${p.dataname.padEnd(9)} ${p.payload_type.padEnd(10)} ${p.transport.padEnd(6)} ${String(p.size).padStart(8)} bytes${p.transport === "link" ? `  → ${p.data}` : ""}`);
}

for await (const msg of sub) {
  // A receiver fetches links only from the file server(s) it names (docs/security.md).
  const env = await smartreceive(msg, { fileserver_url: files.url });
  console.log(`\nreceived from ${env.sender_name} at ${env.timestamp} on ${env.send_to}`);
  for (const [name, data, type] of env.payloads) console.log(`  ${name.padEnd(9)} ${type.padEnd(10)} ${show(type, data)}`);
}

await receiver.close();
await close();
await files.close();
await nats.stop();

function show(type: string, data: unknown): string {
  switch (type) {
    case "text":
      return JSON.stringify(data);
    case "dictionary":
    case "jsontable":
      return JSON.stringify(data);
    case "arrowtable": {
      const t = data as Table;
      return `Arrow table ${t.numRows}×${t.numCols} [${t.schema.fields.map((f) => `${f.name}: ${f.type}`).join(", ")}] ${JSON.stringify(t.toArray().map((r) => r.toJSON()))}`;
    }
    default: {
      const b = data as Uint8Array;
      const kind = b[0] === 0x89 && b[1] === 0x50 ? "PNG image, " : "";
      return `${kind}${b.byteLength} bytes, sha256 ${createHash("sha256").update(b).digest("hex").slice(0, 16)}…`;
    }
  }
}

/** A small real PNG (a gradient), so the image payload is an actual image. */
function png(w: number, h: number): Uint8Array {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([x * 8, y * 8, 160], y * (w * 3 + 1) + 1 + x * 3);
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const td = Buffer.concat([Buffer.from(type), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
