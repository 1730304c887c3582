import { FlatBuffer, ipcFail, type FbTable } from "./arrow-flatbuffer.js";
import { checkRecordBatch, type BatchContext } from "./arrow-ipc-batch.js";
import { checkKeyValues, readSchema, type SchemaShape } from "./arrow-ipc-schema.js";

/**
 * Structural check of an Arrow IPC payload (file or stream format, including pre-0.15 streams
 * without the continuation marker) before apache-arrow materializes any of it. apache-arrow trusts
 * the lengths it reads, so one flipped byte could make it spin for minutes, allocate gigabytes or
 * report 2^48 rows; this walk reads every length itself, bounds-checked, and refuses malformed
 * input with DESERIALIZATION_ERROR in time linear in the payload size.
 *
 * Follows the Arrow IPC format (columnar.html "Serialization and Interprocess Communication") and
 * format/{Message,Schema,File}.fbs. Refused although valid Arrow: compressed bodies, big-endian
 * data, run-end encoded and list-view types, metadata versions before V4, Tensor messages
 * (docs/wire-format.md).
 */
export function checkArrowIpc(bytes: Uint8Array): ArrowIpcSummary {
  return hasMagic(bytes, 0) ? checkFile(bytes) : checkStream(bytes);
}

/** What the checked payload holds, as apache-arrow will read it. */
export interface ArrowIpcSummary {
  format: "file" | "stream";
  /** Top-level fields of the schema. */
  columns: number;
  /** Rows over all record batches. */
  rows: number;
}

// Schema.fbs MetadataVersion: V4 = 3 (0.8 … 0.17), V5 = 4 (1.0+).
const V4 = 3;
const V5 = 4;
// Message.fbs MessageHeader union.
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
const hasMagic = (b: Uint8Array, at: number) => at >= 0 && at + 6 <= b.length && MAGIC.every((c, i) => b[at + i] === c);

interface Message {
  fb: FlatBuffer;
  type: number;
  header: FbTable;
  version: number;
  body: Uint8Array;
  /** First byte after the body. */
  end: number;
}

/**
 * One encapsulated message at `pos`: [0xFFFFFFFF] int32 metadata length, the Message flatbuffer
 * (padding included in the length), then the body. Returns "eos" for the end-of-stream marker
 * (a zero length) and "end" when the bytes end exactly at a message boundary.
 */
function readMessage(bytes: Uint8Array, pos: number, limit: number): Message | { eos: number } | "end" {
  if (pos === limit) return "end";
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (pos + 4 > limit) ipcFail("truncated message length");
  let len = dv.getInt32(pos, true);
  pos += 4;
  if (len === -1) {
    // continuation marker (Arrow ≥ 0.15); without it, the pre-0.15 stream starts with the length
    if (pos + 4 > limit) ipcFail("truncated message length");
    len = dv.getInt32(pos, true);
    pos += 4;
  }
  if (len === 0) return { eos: pos };
  if (len < 0 || len > limit - pos) ipcFail("message metadata runs past the payload");
  const fb = new FlatBuffer(bytes.subarray(pos, pos + len));
  const m = fb.root(); // Message { version: 0, header_type: 1, header: 2, bodyLength: 3, custom_metadata: 4 }
  const version = fb.i16(m, 0, 0);
  if (version !== V4 && version !== V5) ipcFail(`metadata version ${version + 1} is not accepted (V4 or V5 only)`);
  const header = fb.sub(m, 2) ?? ipcFail("message without a header");
  checkKeyValues(fb, m, 4);
  const bodyStart = pos + len;
  const bodyLength = fb.i64(m, 3, 0);
  if (bodyLength < 0 || bodyLength > limit - bodyStart) ipcFail("message body runs past the payload");
  return { fb, type: fb.u8(m, 1, 0), header, version, body: bytes.subarray(bodyStart, bodyStart + bodyLength), end: bodyStart + bodyLength };
}

function schemaOf(m: Message): SchemaShape {
  if (m.type !== SCHEMA) ipcFail("the first message is not a schema");
  return nonEmpty(readSchema(m.fb, m.header));
}

function nonEmpty(s: SchemaShape): SchemaShape {
  // apache-arrow returns an empty table, not an error, for a schema without fields.
  if (s.fields.length === 0) ipcFail("schema has no fields");
  return s;
}

/** Counts rows across batches against one cap, so many batches cannot add up beyond what the bytes hold. */
class Reader {
  rows = 0;
  readonly ctx: BatchContext;

  constructor(
    private readonly schema: SchemaShape,
    payloadBytes: number,
    version: number,
  ) {
    this.ctx = { rowCap: payloadBytes * 8, dictLengths: new Map(), unionHasValidity: version < V5 };
  }

  apply(m: Message): void {
    if (m.type === RECORD_BATCH) {
      this.rows += checkRecordBatch(m.fb, m.header, m.body, this.schema.fields, this.ctx);
      if (this.rows > this.ctx.rowCap) ipcFail("batches claim more rows than the payload can hold");
    } else if (m.type === DICTIONARY_BATCH) {
      this.dictionaryBatch(m);
    } else if (m.type === SCHEMA) {
      ipcFail("a second schema message");
    } else {
      ipcFail(`message type ${m.type} is not a record or dictionary batch`);
    }
  }

  /** DictionaryBatch { id: 0, data: 1 (RecordBatch of the dictionary values), isDelta: 2 }. */
  private dictionaryBatch(m: Message): void {
    const id = m.fb.i64(m.header, 0, 0);
    const shape = this.schema.dictionaries.get(id) ?? ipcFail(`dictionary batch for unknown id ${id}`);
    const data = m.fb.sub(m.header, 1) ?? ipcFail("dictionary batch without data");
    const length = checkRecordBatch(m.fb, data, m.body, [shape], this.ctx);
    const isDelta = m.fb.u8(m.header, 2, 0) !== 0;
    const total = (isDelta ? (this.ctx.dictLengths.get(id) ?? 0) : 0) + length;
    if (total > this.ctx.rowCap) ipcFail("dictionary longer than the payload can hold");
    this.ctx.dictLengths.set(id, total);
  }
}

/** Stream format: schema, then dictionary and record batches, then an optional end-of-stream marker. */
function checkStream(bytes: Uint8Array): ArrowIpcSummary {
  const first = readMessage(bytes, 0, bytes.length);
  if (first === "end" || "eos" in first) ipcFail("stream without a schema message");
  const schema = schemaOf(first);
  const reader = new Reader(schema, bytes.length, first.version);
  const summary = (): ArrowIpcSummary => ({ format: "stream", columns: schema.fields.length, rows: reader.rows });
  for (let pos = first.end; ; ) {
    const m = readMessage(bytes, pos, bytes.length);
    if (m === "end") return summary();
    if ("eos" in m) {
      if (m.eos !== bytes.length) ipcFail("bytes after the end-of-stream marker");
      return summary();
    }
    reader.apply(m);
    pos = m.end;
  }
}

/**
 * File format: "ARROW1" + 2 padding bytes, stream messages, the Footer flatbuffer, its int32
 * length, "ARROW1". Readers follow the footer's blocks, so those are what is checked.
 * Footer { version: 0, schema: 1, dictionaries: 2, recordBatches: 3, custom_metadata: 4 };
 * struct Block { offset: int64, metaDataLength: int32, (pad), bodyLength: int64 } = 24 bytes.
 */
function checkFile(bytes: Uint8Array): ArrowIpcSummary {
  const n = bytes.length;
  if (n < 8 + 4 + 6 || !hasMagic(bytes, n - 6)) ipcFail("Arrow file without its closing magic");
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset, n).getInt32(n - 10, true);
  const footerStart = n - 10 - footerLength;
  if (footerLength <= 0 || footerStart < 8) ipcFail("footer length out of bounds");
  const fb = new FlatBuffer(bytes.subarray(footerStart, n - 10));
  const footer = fb.root();
  const version = fb.i16(footer, 0, 0);
  if (version !== V4 && version !== V5) ipcFail(`metadata version ${version + 1} is not accepted (V4 or V5 only)`);
  const schema = nonEmpty(readSchema(fb, fb.sub(footer, 1) ?? ipcFail("footer without a schema")));
  checkKeyValues(fb, footer, 4);
  const dictionaries = blockMessages(fb, footer, 2, bytes, footerStart, DICTIONARY_BATCH);
  const batches = blockMessages(fb, footer, 3, bytes, footerStart, RECORD_BATCH);
  checkDisjoint([...dictionaries, ...batches]);
  // Dictionaries first, then batches: the order apache-arrow and pyarrow read a file in.
  const reader = new Reader(schema, n, version);
  for (const { m } of dictionaries) reader.apply(m);
  for (const { m } of batches) reader.apply(m);
  return { format: "file", columns: schema.fields.length, rows: reader.rows };
}

interface Located {
  start: number;
  m: Message;
}

/** The message each Block points at, read between the leading magic and the footer. */
function blockMessages(fb: FlatBuffer, footer: FbTable, id: number, bytes: Uint8Array, footerStart: number, type: number): Located[] {
  const v = fb.vector(footer, id, 24);
  const out: Located[] = [];
  for (let i = 0; i < (v?.n ?? 0); i++) {
    const start = fb.int64At(v!.at + 24 * i);
    if (start < 8 || start >= footerStart) ipcFail("footer block outside the file");
    const m = readMessage(bytes, start, footerStart);
    if (m === "end" || "eos" in m || m.type !== type) ipcFail("footer block does not point at the message it names");
    out.push({ start, m });
  }
  return out;
}

/** Blocks may not share bytes: otherwise a small file could name one large batch thousands of times. */
function checkDisjoint(blocks: Located[]): void {
  const sorted = [...blocks].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.m.end) ipcFail("footer blocks overlap");
  }
}
