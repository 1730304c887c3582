/**
 * Test helpers around the development file server: start one on a loopback port, and do a
 * complete Plik upload (create upload, post the file) the way natsbridge's uploader does.
 */
import { startFileServer, type FileServer, type FileServerOptions } from "../../src/fileserver.js";

export type { FileServer };

/** A dev file server on 127.0.0.1 and a free port, files in a temp dir removed by `close()`. */
export function startTestFileServer(opts: Omit<FileServerOptions, "host"> = {}): Promise<FileServer> {
  return startFileServer({ ...opts, host: "127.0.0.1" });
}

export interface PlikUploadResult {
  uploadId: string;
  uploadToken: string;
  fileId: string;
  fileName: string;
  fileSize: number;
  /** `{url}/file/{uploadId}/{fileId}/{encodeURIComponent(name)}`, as in docs/wire-format.md. */
  downloadUrl: string;
}

/** Upload `bytes` as `name` in one new upload; throws with the server's answer on any non-200. */
export async function plikUpload(
  baseUrl: string,
  bytes: Uint8Array,
  name: string,
  opts: { oneShot?: boolean; ttl?: number } = {},
): Promise<PlikUploadResult> {
  const params: Record<string, unknown> = { OneShot: opts.oneShot ?? false };
  if (opts.ttl !== undefined) params.TTL = opts.ttl;
  const r1 = await fetch(`${baseUrl}/upload`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(params),
  });
  if (r1.status !== 200) throw new Error(`POST /upload: ${r1.status} ${await r1.text()}`);
  const upload = (await r1.json()) as { id: string; uploadToken: string };

  const form = new FormData();
  // TS 5.9 types Blob parts as ArrayBuffer-backed only; these bytes never live in a SharedArrayBuffer.
  form.append("file", new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
  const r2 = await fetch(`${baseUrl}/file/${upload.id}`, {
    method: "POST",
    headers: { "X-UploadToken": upload.uploadToken },
    body: form,
  });
  if (r2.status !== 200) throw new Error(`POST /file: ${r2.status} ${await r2.text()}`);
  const file = (await r2.json()) as { id: string; fileName: string; fileSize: number };
  return {
    uploadId: upload.id,
    uploadToken: upload.uploadToken,
    fileId: file.id,
    fileName: file.fileName,
    fileSize: file.fileSize,
    downloadUrl: `${baseUrl}/file/${upload.id}/${file.id}/${encodeURIComponent(name)}`,
  };
}
