/**
 * The dev file server's upload store: uploads and their files in memory, file bytes in one
 * directory per upload on disk, TTL expiry and one-shot deletion.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";

export interface StoredFile {
  id: string;
  name: string;
  size: number;
  path: string;
  /** A one-shot file whose download is under way: concurrent requests must not get it too. */
  downloading: boolean;
}

export interface Upload {
  id: string;
  token: string;
  oneShot: boolean;
  /** Seconds, as asked for; 0 means no TTL. */
  ttl: number;
  /** Epoch ms after which the upload is gone; Infinity when it has no TTL. */
  expiresAt: number;
  dir: string;
  files: Map<string, StoredFile>;
}

// Plik ids are short random strings; base64url keeps them safe both as URL path segments
// and as file names on disk (no '/', no '.'-only names), so client input never becomes a path.
export function newId(bytes = 12): string {
  return randomBytes(bytes).toString("base64url");
}

/** Constant-time token check, so response timing does not reveal a token byte by byte. */
export function tokenMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  /** Removals under way, so `close()` can wait for the disk to be clean. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly dir: string) {
    // Expired uploads are also swept periodically so their bytes leave the disk without a request.
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  async create(opts: { oneShot: boolean; ttl: number }): Promise<Upload> {
    const id = newId();
    // Plik reads TTL <= 0 as "server default" / "never"; the dev server keeps such uploads until close().
    const upload: Upload = {
      id,
      token: newId(24),
      oneShot: opts.oneShot,
      ttl: opts.ttl > 0 ? opts.ttl : 0,
      expiresAt: opts.ttl > 0 ? Date.now() + opts.ttl * 1000 : Infinity,
      dir: join(this.dir, id),
      files: new Map(),
    };
    await mkdir(upload.dir, { recursive: true });
    this.uploads.set(id, upload);
    return upload;
  }

  /** The live upload for an id; an expired one is removed here so a TTL holds even between sweeps. */
  get(id: string | undefined): Upload | undefined {
    if (id === undefined) return undefined;
    const u = this.uploads.get(id);
    if (!u) return undefined;
    if (Date.now() >= u.expiresAt) {
      this.drop(u);
      return undefined;
    }
    return u;
  }

  /** Whether the upload is still stored (not expired, not dropped by close). */
  has(upload: Upload): boolean {
    return this.uploads.get(upload.id) === upload;
  }

  /** A fresh file id and the path its bytes go to. */
  newFile(upload: Upload): { id: string; path: string } {
    const id = newId();
    return { id, path: join(upload.dir, id) };
  }

  addFile(upload: Upload, file: StoredFile): void {
    upload.files.set(file.id, file);
  }

  /** A one-shot file has been downloaded: it is gone for everyone. */
  async spend(upload: Upload, file: StoredFile): Promise<void> {
    upload.files.delete(file.id);
    await this.track(unlink(file.path).catch(() => undefined));
  }

  /** Remove every upload and wait for pending removals; the sweeper stops. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const u of this.uploads.values()) this.drop(u);
    await Promise.allSettled([...this.pending]);
  }

  private sweep(): void {
    const now = Date.now();
    for (const u of this.uploads.values()) if (now >= u.expiresAt) this.drop(u);
  }

  private drop(u: Upload): void {
    this.uploads.delete(u.id);
    void this.track(rm(u.dir, { recursive: true, force: true }).catch(() => undefined));
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }
}
