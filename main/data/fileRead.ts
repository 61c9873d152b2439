import { readFile, readdir, stat } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DataError, ioError } from './dataError';

const gunzipAsync = promisify(gunzip);

export async function readBytes(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw ioError(file, err);
  }
}

/** Reads a file and gunzips it when it starts with the gzip magic bytes (whatever its name says). */
export async function readMaybeGzip(file: string): Promise<Buffer> {
  const buf = await readBytes(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return await gunzipAsync(buf);
    } catch (err) {
      throw new DataError(file, `not a valid gzip file (${(err as Error).message})`);
    }
  }
  if (file.endsWith('.gz')) throw new DataError(file, 'not a gzip file (no gzip header), though its name ends in .gz');
  return buf;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    throw ioError(path, err);
  }
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    throw ioError(dir, err);
  }
}
