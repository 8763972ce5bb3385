import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, openSync, writeSync, fsyncSync } from 'node:fs';
import { DataError } from './errors.js';
import { trackOpen } from './source.js';

/** Opens a file for reading, counted by `diagnostics().openFiles` until closed. */
export async function openRead(path: string): Promise<TrackedFile> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DataError('IO', (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot open: ${(e as Error).message}`, { file: path, cause: e });
  }
  trackOpen(1);
  const size = (await fh.stat()).size;
  return new TrackedFile(path, fh, size);
}

export class TrackedFile {
  private closed = false;
  constructor(readonly path: string, readonly handle: FileHandle, readonly size: number) {}

  /** Reads exactly `length` bytes at `position` into `into` (or a new buffer); TRUNCATED when the file is shorter. */
  async readExact(position: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const buf = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
    let off = 0;
    while (off < length) {
      const { bytesRead } = await this.handle.read(buf, off, length - off, position + off);
      if (bytesRead === 0) throw new DataError('TRUNCATED', `file ends at byte ${position + off}, ${length - off} bytes short of what its metadata says`, { file: this.path });
      off += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    trackOpen(-1);
    await this.handle.close();
  }
}

/** A buffered, synchronous file writer (the writers spill batches as they come). */
export class FileSink {
  private fd: number;
  private buf = new Uint8Array(1 << 20);
  private used = 0;
  bytes = 0;
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new DataError('IO', `cannot create: ${(e as Error).message}`, { file: path, cause: e });
    }
    trackOpen(1);
  }
  write(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    if (chunk.byteLength >= this.buf.byteLength >> 1) {
      this.flush();
      this.writeAll(chunk);
      return;
    }
    if (this.used + chunk.byteLength > this.buf.byteLength) this.flush();
    this.buf.set(chunk, this.used);
    this.used += chunk.byteLength;
  }
  private writeAll(b: Uint8Array): void {
    let off = 0;
    while (off < b.byteLength) off += writeSync(this.fd, b, off, b.byteLength - off);
  }
  flush(): void {
    if (this.used) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }
  close(sync = false): void {
    if (this.fd < 0) return;
    this.flush();
    if (sync) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    trackOpen(-1);
  }
  /** Closes without flushing (after an error). */
  abort(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    trackOpen(-1);
  }
}
