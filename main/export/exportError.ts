/**
 * The one error type of the export code. Its message is a sentence for a person (what failed, where, expected vs got);
 * `code` is the ErrorCode of preload/api.ts, so the lab service can turn it into a Result without guessing.
 */
import type { ErrorCode, LabError } from '../../preload/api';

export class ExportError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Any error from exportRun/reportRun as a LabError (unexpected ones keep their message, never a stack). */
export function exportErrorToLabError(err: unknown): LabError {
  if (err instanceof ExportError) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
