// Append-only newline-delimited JSON (metrics.ndjson, knowledge.ndjson).
//
// A writer killed mid-append leaves a torn last line (no trailing newline, or unparsable). Readers drop it; a resuming
// writer truncates the file back to the end of the last complete line (or to the length recorded in the checkpoint) so
// that new lines never glue onto a fragment.
import * as fs from 'node:fs';

export interface NdjsonRead<T> {
  records: T[];
  /** byte length of the complete, parsable prefix */
  validBytes: number;
  /** true when bytes after `validBytes` were dropped */
  torn: boolean;
}

export function readNdjson<T>(file: string): NdjsonRead<T> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return { records: [], validBytes: 0, torn: false };
  }
  const records: T[] = [];
  let start = 0;
  let validBytes = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break; // torn: no newline at the end
    const line = buf.subarray(start, nl).toString('utf8').trim();
    if (line.length > 0) {
      try {
        records.push(JSON.parse(line) as T);
      } catch {
        break; // a corrupt line: everything from here on is untrusted
      }
    }
    start = nl + 1;
    validBytes = start;
  }
  return { records, validBytes, torn: validBytes < buf.length };
}

/** Cut a file to `bytes` (and to its last complete line if that is shorter). Returns the new length. */
export function truncateNdjson(file: string, bytes?: number): number {
  const { validBytes } = readNdjson<unknown>(file);
  const target = bytes === undefined ? validBytes : Math.min(bytes, validBytes);
  if (!fs.existsSync(file)) return 0;
  if (fs.statSync(file).size !== target) {
    fs.truncateSync(file, target);
    const fd = fs.openSync(file, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  return target;
}

/** An append handle. One write() per line so a line is never interleaved; fsync on demand (checkpoints). */
export class NdjsonWriter {
  private fd: number;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'a');
  }
  append(record: unknown): void {
    fs.writeSync(this.fd, JSON.stringify(record) + '\n');
  }
  /** Flush to disk and return the file's byte length (recorded in checkpoints). */
  sync(): number {
    fs.fsyncSync(this.fd);
    return fs.fstatSync(this.fd).size;
  }
  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
