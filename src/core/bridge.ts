import { useUtf8Encoder } from "./bytes.js";
import { ConnectionCache } from "./connections.js";
import { bytesBase64 } from "./fast-base64.js";
import { encodeAsciiInto, type WireIo } from "./wire.js";
import { makeFetchWithBackoff, type FetchWithBackoffOptions } from "./claimcheck/fetch-backoff.js";
import { makePlikUploader, type PlikUploadOptions } from "./claimcheck/plik.js";
import type { Runtime } from "./runtime.js";
import { smartreceive, type IncomingMessage } from "./smartreceive.js";
import { smartsend } from "./smartsend.js";
import { smartreply, smartrequest, type RequestContext, type RequestEnvelope, type SmartreplyOptions, type SmartrequestOptions } from "./request.js";
import type { ReplyError } from "./error-response.js";
import type { ReceivedEnvelope, SendTuple, SmartreceiveOptions, SmartsendOptions, UploadHandler, WireEnvelope } from "./types.js";

export interface Bridge {
  /** Serialize, pick direct or link per payload, upload what must be linked, then publish one envelope. */
  smartsend(subject: string, data: readonly SendTuple[], options?: SmartsendOptions): Promise<[WireEnvelope, string]>;
  /** Validate an envelope and return it with `payloads` as `[dataname, data, payload_type]` tuples. */
  smartreceive(msg: IncomingMessage, options?: SmartreceiveOptions): Promise<ReceivedEnvelope>;
  /** Send a request (reply_to = a fresh inbox) and resolve with the received answer; see request.ts. */
  smartrequest(subject: string, data: readonly SendTuple[], options?: SmartrequestOptions): Promise<ReceivedEnvelope>;
  /** Answer a received request on its reply_to, with payloads or with an error-response envelope. */
  smartreply(request: RequestEnvelope, answer: readonly SendTuple[] | ReplyError, options?: SmartreplyOptions): Promise<[WireEnvelope, string]>;
  /** Drain and close every NATS connection natsbridge opened for a broker_url. */
  close(): Promise<void>;
  /** The seeds' default upload handler: Plik, one-shot (the file is deleted after one download). */
  plikOneshotUpload: UploadHandler;
  /** A Plik upload handler with other settings, e.g. `{ oneShot: false, ttl: 3600 }` for fan-out subjects. */
  createPlikUploadHandler(opts?: PlikUploadOptions): UploadHandler;
  /** The seeds' default download handler: exponential backoff with a per-attempt timeout. */
  fetchWithBackoff(
    url: string,
    max_retries?: number,
    base_delay?: number,
    max_delay?: number,
    correlation_id?: string,
    opts?: FetchWithBackoffOptions,
  ): Promise<Uint8Array>;
}

export function createBridge(runtime: Runtime): Bridge {
  if (runtime.utf8Encode) useUtf8Encoder(runtime.utf8Encode);
  const connections = new ConnectionCache((url) => runtime.connect(url));
  const plikOneshotUpload = makePlikUploader(runtime, { oneShot: true });
  const fetchWithBackoff = makeFetchWithBackoff(runtime);
  let flag: { v: string | undefined } | undefined;
  const logFlag = () => (flag ??= { v: runtime.env("NATSBRIDGE_LOG") }).v;
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
  const receiveCtx = { runtime, defaultDownload: fetchWithBackoff, logFlag, decodeBase64Bytes };
  const requestCtx: RequestContext = {
    connections,
    smartsend: (subject, data, options) => smartsend(sendCtx, subject, data, options),
    smartreceive: (msg, options) => smartreceive(receiveCtx, msg, options),
  };
  return {
    smartsend: (subject, data, options) => smartsend(sendCtx, subject, data, options),
    smartreceive: (msg, options) => smartreceive(receiveCtx, msg, options),
    smartrequest: (subject, data, options) => smartrequest(requestCtx, subject, data, options),
    smartreply: (request, answer, options) => smartreply(requestCtx, request, answer, options),
    close: () => connections.closeAll(),
    plikOneshotUpload,
    createPlikUploadHandler: (opts) => makePlikUploader(runtime, opts),
    fetchWithBackoff,
  };
}
