// Where a report (a run's or a sweep's) lands: one self-contained HTML file, written atomically, its folder made if
// needed; a failure is an ExportError 'io' naming the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../store/atomicFile';
import { ExportError } from '../exportError';
import { describeFsError } from '../stagingDir';

export function writeReport(file: string, html: string): { file: string; bytes: number } {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, html);
  } catch (e) {
    throw new ExportError('io', `cannot write the report to ${file}: ${describeFsError(e)}`);
  }
  return { file, bytes: Buffer.byteLength(html) };
}
