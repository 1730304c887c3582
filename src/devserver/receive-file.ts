/**
 * Stream the `file` field of a multipart/form-data request body to a file on disk, with
 * backpressure from the disk to the socket; a failed or aborted request leaves no partial file.
 */
import type { IncomingMessage } from "node:http";
import { createWriteStream, type WriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { HttpError } from "./http.js";
import { MultipartError, MultipartParser, parseHeaderParams } from "./multipart.js";
import { partFileName } from "./names.js";

export interface ReceiveFileOptions {
  boundary: string;
  /** Where the bytes go; the file must not exist yet. */
  path: string;
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

export function receiveFile(req: IncomingMessage, opts: ReceiveFileOptions): Promise<ReceivedFile> {
  const { path, maxBytes, maxBodyBytes } = opts;
  const received = new Promise<ReceivedFile>((resolve, reject) => {
    let out: WriteStream | undefined;
    let outDone: Promise<void> | undefined;
    let fileName: string | undefined;
    let size = 0;
    let bodyBytes = 0;
    let inFilePart = false;
    let gotFile = false;
    let failed = false;
    let ended = false;
    let diskFull = false;

    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.off("data", onData);
      // Let Node discard the rest of the body so the client still reads our status code.
      req.resume();
      const cleanup = new Promise<void>((r) => {
        if (!out || out.closed) return r();
        out.once("close", () => r());
        out.destroy();
      });
      void cleanup.then(() => unlink(path).catch(() => undefined)).then(() => reject(err));
    };

    // Throws for a boundary outside RFC 2046 (1..70 characters): the promise rejects, mapped to 400 below.
    const parser = new MultipartParser(opts.boundary, {
      onPartBegin(headers) {
        const cd = parseHeaderParams(headers["content-disposition"] ?? "");
        // Plik stores one file per request: the first `file` field; other fields are ignored.
        if (gotFile || cd.type !== "form-data" || cd.params["name"] !== "file") return;
        fileName = partFileName(cd.params);
        if (!fileName) throw new HttpError(400, "the file part has no filename");
        gotFile = inFilePart = true;
        out = createWriteStream(path, { flags: "wx" });
        outDone = new Promise<void>((r, j) => {
          out!.once("finish", () => r());
          out!.once("error", j);
        });
        outDone.catch(fail);
      },
      onPartData(data) {
        if (!inFilePart) return;
        size += data.length;
        if (size > maxBytes) throw new HttpError(413, `file larger than ${maxBytes} bytes`);
        if (!out!.write(data)) diskFull = true;
      },
      onPartEnd() {
        if (inFilePart) {
          inFilePart = false;
          out!.end();
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
      if (diskFull && !failed) {
        // Backpressure: stop reading the socket while the disk catches up, so a large upload
        // never accumulates in memory. A stream that was end()ed in this chunk never emits
        // 'drain', and a paused request never emits 'end', so 'finish'/'close' resume it too.
        diskFull = false;
        req.pause();
        const w = out!;
        const go = () => {
          w.off("drain", go).off("finish", go).off("close", go);
          if (!failed) req.resume();
        };
        w.on("drain", go).on("finish", go).on("close", go);
      }
    };
    req.on("data", onData);
    req.once("end", () => {
      ended = true;
      if (failed) return;
      try {
        parser.end();
        if (!gotFile) throw new HttpError(400, "no multipart field named 'file'");
      } catch (e) {
        fail(e);
        return;
      }
      outDone!.then(() => {
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
