import type { LabError } from '../../preload/api';

/**
 * A dataset file or folder that cannot be used. `message` is one readable sentence that starts with the
 * file's path as the person wrote the dataset's (the spec's path joined with the inner file's name, so a user with
 * several datasets knows which one); `file` is that path (or the spec, when no file is involved). Callers show the
 * message and never the stack (STYLE rule 11).
 */
export class DataError extends Error {
  readonly file: string;
  constructor(file: string, problem: string, label: string = file) {
    super(`${label}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
  }
}

/** Turns an fs error into a DataError that names the path and the reason, without the stack. */
export function ioError(file: string, err: unknown, label?: string): DataError {
  const e = err as NodeJS.ErrnoException;
  const why =
    e?.code === 'ENOENT' ? 'no such file or folder'
    : e?.code === 'EACCES' ? 'permission denied'
    : e?.code === 'EISDIR' ? 'is a folder, expected a file'
    : e?.code === 'ENOTDIR' ? 'is a file, expected a folder'
    : `cannot read (${e?.message ?? String(err)})`;
  return new DataError(file, why, label);
}

/** The boundary form of a DataError ('bad-data'); null for any other error, which callers treat as internal. */
export function dataErrorToLabError(err: unknown): LabError | null {
  return err instanceof DataError ? { code: 'bad-data', message: err.message } : null;
}
