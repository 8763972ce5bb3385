import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Writes a file and fsyncs it (the caller renames or syncs the folder). */
export function writeSynced(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a folder, so that entries created or renamed in it are durable. */
export function syncDir(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A unique hidden sibling name for temp files and folders: `.<base>.tmp-<pid>-<random>`. */
export function tempSibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = tempSibling(path);
  writeSynced(tmp, data);
  renameSync(tmp, path);
  syncDir(dirname(path));
}
