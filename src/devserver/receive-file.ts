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
}

export interface ReceivedFile {
  name: string;
  size: number;
}

/** A parser error is the client's malformed body: 400. */
const asHttpError = (e: unknown) => (e instanceof MultipartError ? new HttpError(400, e.message) : e);

export function receiveFile(req: IncomingMessage, opts: ReceiveFileOptions): Promise<ReceivedFile> {
  const { path, maxBytes } = opts;
  return new Promise<ReceivedFile>((resolve, reject) => {
    let out: WriteStream | undefined;
    let outDone: Promise<void> | undefined;
    let fileName: string | undefined;
    let size = 0;
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
      void cleanup.then(() => unlink(path).catch(() => undefined)).then(() => reject(asHttpError(err)));
    };

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
      try {
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
  });
}
