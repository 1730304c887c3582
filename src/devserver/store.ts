/**
 * The dev file server's upload store: uploads and their files in memory, file bytes in one
 * directory per upload on disk, TTL expiry, one-shot deletion, the bound on uploads held and the
 * expiry of uploads without a file.
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
  /** `POST /file` requests under way. */
  writers: number;
  /** Epoch ms since the upload has had no file and no writer (the empty-upload timeout counts from here). */
  emptySince: number;
  /** Its directory's mkdir/rm, one after another, so a removal never races a creation. */
  disk: Promise<void>;
}

export interface StoreLimits {
  /** Most uploads held at once. */
  maxUploads: number;
  /** How long an upload with no file and no writer is kept. */
  emptyUploadMs: number;
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

/**
 * Uploads live in memory; a directory exists on disk only while an upload has a file or one is
 * being posted, so uploads that never get a file cost no disk entries (issue 8: 5,000 empty
 * uploads made 5,000 directories). Their number is bounded, and empty ones expire.
 */
export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  /** Disk work under way, so `close()` can wait for the disk to be clean. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    private readonly limits: StoreLimits,
  ) {
    // Expired uploads are also swept periodically so their bytes leave the disk without a request.
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, Math.min(1000, limits.emptyUploadMs)));
    this.sweeper.unref();
  }

  /** A new upload, or undefined when `maxUploads` are held (after dropping the expired ones). */
  create(opts: { oneShot: boolean; ttl: number }): Upload | undefined {
    if (this.uploads.size >= this.limits.maxUploads) this.sweep();
    if (this.uploads.size >= this.limits.maxUploads) return undefined;
    const id = newId();
    const now = Date.now();
    // Plik reads TTL <= 0 as "server default" / "never"; the dev server keeps such uploads until close().
    const upload: Upload = {
      id,
      token: newId(24),
      oneShot: opts.oneShot,
      ttl: opts.ttl > 0 ? opts.ttl : 0,
      expiresAt: opts.ttl > 0 ? now + opts.ttl * 1000 : Infinity,
      dir: join(this.dir, id),
      files: new Map(),
      writers: 0,
      emptySince: now,
      disk: Promise.resolve(),
    };
    this.uploads.set(id, upload);
    return upload;
  }

  /** The live upload for an id; an expired one is removed here so a TTL holds even between sweeps. */
  get(id: string | undefined): Upload | undefined {
    if (id === undefined) return undefined;
    const u = this.uploads.get(id);
    if (!u) return undefined;
    if (this.expired(u, Date.now())) {
      this.drop(u);
      return undefined;
    }
    return u;
  }

  /** Whether the upload is still stored (not expired, not dropped by close). */
  has(upload: Upload): boolean {
    return this.uploads.get(upload.id) === upload;
  }

  /**
   * A file is about to be posted: a fresh file id and its path, in a directory that exists once
   * this resolves. Every call is paired with one `endFile`.
   */
  async beginFile(upload: Upload): Promise<{ id: string; path: string }> {
    upload.writers++;
    await this.onDisk(upload, () => mkdir(upload.dir, { recursive: true }));
    const id = newId();
    return { id, path: join(upload.dir, id) };
  }

  /** The post ended: with the stored file, or (failed, refused) without one. */
  endFile(upload: Upload, file?: StoredFile): void {
    upload.writers--;
    if (file) upload.files.set(file.id, file);
    this.settle(upload);
  }

  /** A one-shot file has been downloaded: it is gone for everyone. */
  async spend(upload: Upload, file: StoredFile): Promise<void> {
    upload.files.delete(file.id);
    const removed = this.onDisk(upload, () => unlink(file.path));
    this.settle(upload);
    await removed.catch(() => undefined); // already gone with its directory

  }

  /** Remove every upload and wait for pending disk work; the sweeper stops. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const u of this.uploads.values()) this.drop(u);
    await Promise.allSettled([...this.pending]);
  }

  private expired(u: Upload, now: number): boolean {
    const empty = u.files.size === 0 && u.writers === 0;
    return now >= u.expiresAt || (empty && now - u.emptySince >= this.limits.emptyUploadMs);
  }

  private sweep(): void {
    const now = Date.now();
    for (const u of this.uploads.values()) if (this.expired(u, now)) this.drop(u);
  }

  /** An upload left with no file and no writer keeps no directory; one that was dropped keeps nothing. */
  private settle(u: Upload): void {
    const inUse = u.files.size > 0 || u.writers > 0;
    if (inUse && this.has(u)) return;
    u.emptySince = Date.now();
    void this.onDisk(u, () => rm(u.dir, { recursive: true, force: true }));
  }

  private drop(u: Upload): void {
    this.uploads.delete(u.id);
    void this.onDisk(u, () => rm(u.dir, { recursive: true, force: true }));
  }

  /** Run a directory operation after the upload's previous ones; failures are the caller's to see, the chain goes on. */
  private onDisk(u: Upload, op: () => Promise<unknown>): Promise<void> {
    const run = u.disk.then(op).then(() => undefined);
    u.disk = run.catch(() => undefined);
    this.track(u.disk);
    return run;
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }
}
