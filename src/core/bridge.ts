import { useUtf8Encoder } from "./bytes.js";
import { ConnectionCache } from "./connections.js";
import { bytesBase64 } from "./fast-base64.js";
import { encodeAsciiInto, type WireIo } from "./wire.js";
import { makeFetchWithBackoff, type FetchWithBackoff } from "./claimcheck/fetch-backoff.js";
import { withDefaults, type BridgeDefaults } from "./bridge-defaults.js";
import { makePlikUploader, type PlikUploadOptions } from "./claimcheck/plik.js";
import type { Runtime } from "./runtime.js";
import { smartreceive, type IncomingMessage } from "./smartreceive.js";
import { DEFAULT_FILESERVER_URL, smartsend } from "./smartsend.js";
import type { ReceivedEnvelope, SendTuple, SmartreceiveOptions, SmartsendOptions, UploadHandler, WireEnvelope } from "./types.js";

export interface Bridge {
  /** Serialize, pick direct or link per payload, upload what must be linked, then publish one envelope. */
  smartsend(subject: string, data: readonly SendTuple[], options?: SmartsendOptions): Promise<[WireEnvelope, string]>;
  /** Validate an envelope and return it with `payloads` as `[dataname, data, payload_type]` tuples. */
  smartreceive(msg: IncomingMessage, options?: SmartreceiveOptions): Promise<ReceivedEnvelope>;
  /** Drain and close every NATS connection natsbridge opened for a broker_url. */
  close(): Promise<void>;
  /** The seeds' default upload handler: Plik, one-shot (the file is deleted after one download). */
  plikOneshotUpload: UploadHandler;
  /** A Plik upload handler with other settings, e.g. `{ oneShot: false, ttl: 3600 }` for fan-out subjects. */
  createPlikUploadHandler(opts?: PlikUploadOptions): UploadHandler;
  /** The seeds' default download handler: exponential backoff within headers/idle/total time limits and a byte cap. */
  fetchWithBackoff: FetchWithBackoff;
}

export function createBridge(runtime: Runtime, defaults: BridgeDefaults = {}): Bridge {
  if (runtime.utf8Encode) useUtf8Encoder(runtime.utf8Encode);
  const connections = new ConnectionCache((url) => runtime.connect(url));
  const plikOneshotUpload = makePlikUploader(runtime, { oneShot: true });
  let flag: { v: string | undefined } | undefined;
  const logFlag = () => (flag ??= { v: runtime.env("NATSBRIDGE_LOG") }).v;
  const fetchWithBackoff = makeFetchWithBackoff(runtime, { logFlag });
  const io: WireIo = {
    writeAscii: runtime.writeAscii ?? encodeAsciiInto,
    encodeAscii: runtime.asciiEncode,
    alloc: runtime.allocUnsafe,
    get encodeBase64Into() {
      return bytesBase64()?.encodeInto;
    },
  };
  const sendCtx = { runtime, connections, defaultUpload: plikOneshotUpload, logFlag, io };
  // Made once (the codec is probed on first use), not per message: receiving is a hot path.
  let decodeBytes: ((ascii: Uint8Array) => Uint8Array | null) | null | undefined;
  const decodeBase64Bytes = () => {
    if (decodeBytes === undefined) {
      const codec = bytesBase64();
      decodeBytes = codec && ((ascii: Uint8Array) => codec.decode(ascii, runtime.allocUnsafe));
    }
    return decodeBytes;
  };
  // Links are fetched only from the file server(s) this bridge is configured with, unless told more.
  const fileserverUrl = defaults.smartreceive?.fileserver_url ?? defaults.smartsend?.fileserver_url ?? DEFAULT_FILESERVER_URL;
  const receiveCtx = { runtime, defaultDownload: fetchWithBackoff, logFlag, decodeBase64Bytes, fileserverUrl };
  const sendDefaults = withDefaults(defaults.smartsend);
  const receiveDefaults = withDefaults(defaults.smartreceive);
  return {
    smartsend: (subject, data, options) => smartsend(sendCtx, subject, data, sendDefaults(options)),
    smartreceive: (msg, options) => smartreceive(receiveCtx, msg, receiveDefaults(options)),
    close: () => connections.closeAll(),
    plikOneshotUpload,
    createPlikUploadHandler: (opts) => makePlikUploader(runtime, opts),
    fetchWithBackoff,
  };
}
