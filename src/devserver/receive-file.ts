/**
 * Receive the `file` field of a multipart/form-data request body into a sink (a file on disk for
 * the dev file server, disk-sink.ts; an Object Store object for the gateway, objectstore-sink.ts),
 * with backpressure from the sink to the socket; a failed or aborted request leaves nothing stored.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.js";
import { MultipartError, MultipartParser, parseHeaderParams } from "./multipart.js";
import { partFileName } from "./names.js";

/** Where the file part's bytes go. The receiver calls `open` at most once, then `write`s, then `end`. */
export interface FileSink {
  /** The file part began: start storing it. Settles once the file is stored whole, or failed. */
  open(fileName: string): Promise<void>;
  /** Take a chunk; false asks the receiver to stop reading the socket until `drained()` resolves. */
  write(chunk: Buffer): boolean;
  /** Resolves once the sink takes more, or needs no more (ended, failed). */
  drained(): Promise<void>;
  /** The file part ended. */
  end(): void;
  /** The request failed: discard what was stored. Called once, also when `open` never was. */
  abort(err: unknown): Promise<void>;
}

export interface ReceiveFileOptions {
  boundary: string;
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Largest accepted request body (the file plus multipart framing and any other fields). */
  maxBodyBytes: number;
}

export interface ReceivedFile {
  name: string;
  size: number;
}

/** A parser error is the client's malformed body: 400. A full disk is the server's: 507. */
export function asHttpError(e: unknown): unknown {
  if (e instanceof MultipartError) return new HttpError(400, e.message);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return new HttpError(507, "no space left for the file");
  return e;
}

export function receiveFile(req: IncomingMessage, sink: FileSink, opts: ReceiveFileOptions): Promise<ReceivedFile> {
  const { maxBytes, maxBodyBytes } = opts;
  const received = new Promise<ReceivedFile>((resolve, reject) => {
    let stored: Promise<void> | undefined;
    let fileName: string | undefined;
    let size = 0;
    let bodyBytes = 0;
    let inFilePart = false;
    let failed = false;
    let ended = false;
    let sinkFull = false;

    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.off("data", onData);
      // Let Node discard the rest of the body so the client still reads our status code.
      req.resume();
      void sink.abort(err).catch(() => undefined).then(() => reject(err));
    };

    // Throws for a boundary outside RFC 2046 (1..70 characters): the promise rejects, mapped to 400 below.
    const parser = new MultipartParser(opts.boundary, {
      onPartBegin(headers) {
        const cd = parseHeaderParams(headers["content-disposition"] ?? "");
        // Plik stores one file per request: the first `file` field; other fields are ignored.
        if (stored || cd.type !== "form-data" || cd.params["name"] !== "file") return;
        fileName = partFileName(cd.params);
        if (!fileName) throw new HttpError(400, "the file part has no filename");
        inFilePart = true;
        stored = sink.open(fileName);
        stored.catch(fail);
      },
      onPartData(data) {
        if (!inFilePart) return;
        size += data.length;
        if (size > maxBytes) throw new HttpError(413, `file larger than ${maxBytes} bytes`);
        if (!sink.write(data)) sinkFull = true;
      },
      onPartEnd() {
        if (inFilePart) {
          inFilePart = false;
          sink.end();
        }
      },
    });

    const onData = (chunk: Buffer) => {
      bodyBytes += chunk.length;
      try {
        // Counted as it arrives, so a body with no Content-Length is refused mid-stream too.
        if (bodyBytes > maxBodyBytes) throw new HttpError(413, `request body larger than ${maxBodyBytes} bytes`);
        parser.write(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      if (sinkFull && !failed) {
        // Backpressure: stop reading the socket while the sink catches up, so a large upload never
        // accumulates in memory. A paused request never emits 'end', so a sink that was ended in
        // this chunk must resolve `drained()` too (FileSink.drained).
        sinkFull = false;
        req.pause();
        void sink.drained().then(() => {
          if (!failed) req.resume();
        });
      }
    };
    req.on("data", onData);
    req.once("end", () => {
      ended = true;
      if (failed) return;
      try {
        parser.end();
        if (!stored) throw new HttpError(400, "no multipart field named 'file'");
        // parser.end() passing means every part got its onPartEnd; a sink is never left unended.
        if (inFilePart) throw new HttpError(400, "the file part did not end");
      } catch (e) {
        fail(e);
        return;
      }
      stored.then(() => {
        if (!failed) resolve({ name: fileName!, size });
      }, fail);
    });
    // A client that disconnects mid-upload leaves a partial file: remove it. (`req.complete`
    // is not the test: it is already true when the body arrived but was not read to the end.)
    req.once("close", () => {
      if (!ended) fail(new HttpError(400, "upload aborted"));
    });
    // The server's idle timeout (FileServerTimeouts.idleMs) fired while the body was coming: a
    // stalled client must not hold a file descriptor and a partial file (issue 8). With a
    // listener here Node leaves the socket open, so the client still reads the 408.
    req.once("timeout", () => fail(new HttpError(408, "upload stalled")));
    // Aborted while the route was still preparing (no 'close' will come any more).
    if (req.destroyed) fail(new HttpError(400, "upload aborted"));
  });
  return received.catch((e: unknown) => {
    throw asHttpError(e);
  });
}
