// Checkpoints: <run>/checkpoints/<step>/{manifest.json, weights.bin} plus a `latest` pointer file.
//
// Publication order makes a kill at any instant harmless:
//   1. write <step>.tmp/weights.bin and manifest.json, fsync both and the folder;
//   2. rename <step>.tmp → <step> (atomic), fsync checkpoints/;
//   3. replace `latest` atomically;   4. prune to the last K.
// A reader trusts `latest` only if the folder it names validates (sizes + CRC32); otherwise it takes the newest folder
// that validates. Leftover *.tmp folders are garbage from a killed writer and are removed on resume.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir, readJsonOrNull, writeFileAtomic, writeFileDurable } from './atomicFile';

export const CHECKPOINT_FORMAT_VERSION = 1;

export type TensorDtype = 'float32' | 'int32';
export interface TensorRecord {
  shape: number[];
  dtype: TensorDtype;
  data: Float32Array | Int32Array;
}

export interface CheckpointPayload {
  step: number;
  /** named tensors: 'enc/…', 'dec/…', 'opt/enc/…', 'mem/z', … */
  tensors: Map<string, TensorRecord>;
  /** plain JSON state: curriculum position, RNG state, loop config, optimiser scalars, file lengths… */
  state: Record<string, unknown>;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: TensorDtype;
  offset: number; // bytes into weights.bin
  length: number; // element count
}
interface Manifest {
  formatVersion: number;
  step: number;
  createdAt: string;
  bytes: number;
  crc32: number;
  tensors: ManifestEntry[];
  state: Record<string, unknown>;
}

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

export function writeCheckpoint(runDir: string, payload: CheckpointPayload, keep: number): string {
  const root = checkpointsDir(runDir);
  fs.mkdirSync(root, { recursive: true });
  const name = String(payload.step);
  const finalDir = path.join(root, name);
  const tmpDir = path.join(root, `${name}.tmp`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir);

  // 1. tensors, concatenated, 4-byte aligned (both dtypes are 4 bytes)
  const entries: ManifestEntry[] = [];
  let bytes = 0;
  for (const [tname, t] of payload.tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length)
      throw new Error(`checkpoint tensor ${tname}: shape [${t.shape}] holds ${expected} values, got ${t.data.length}`);
    entries.push({ name: tname, shape: [...t.shape], dtype: t.dtype, offset: bytes, length: t.data.length });
    bytes += t.data.length * 4;
  }
  const buf = Buffer.alloc(bytes);
  for (const e of entries) {
    const t = payload.tensors.get(e.name)!;
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(buf, e.offset);
  }
  const manifest: Manifest = {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    step: payload.step,
    createdAt: new Date().toISOString(),
    bytes,
    crc32: crc32(buf),
    tensors: entries,
    state: payload.state,
  };
  writeFileDurable(path.join(tmpDir, 'weights.bin'), buf);
  writeFileDurable(path.join(tmpDir, 'manifest.json'), JSON.stringify(manifest));
  fsyncDir(tmpDir);

  // 2. publish
  fs.rmSync(finalDir, { recursive: true, force: true }); // a re-run of the same step after a resume
  fs.renameSync(tmpDir, finalDir);
  fsyncDir(root);
  // 3. pointer
  writeFileAtomic(path.join(root, 'latest'), name + '\n');
  // 4. prune
  pruneCheckpoints(runDir, keep);
  return finalDir;
}

/** Step numbers of published checkpoint folders, ascending (validity not checked). */
export function listCheckpoints(runDir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(checkpointsDir(runDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

export function pruneCheckpoints(runDir: string, keep: number): void {
  const steps = listCheckpoints(runDir);
  const latest = readLatestPointer(runDir);
  const drop = steps.slice(0, Math.max(0, steps.length - Math.max(1, keep)));
  for (const s of drop) {
    if (s === latest) continue;
    fs.rmSync(path.join(checkpointsDir(runDir), String(s)), { recursive: true, force: true });
  }
}

/** Remove *.tmp folders left by a writer killed before publishing. */
export function removeStaleCheckpointTmp(runDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(checkpointsDir(runDir));
  } catch {
    return;
  }
  for (const n of names)
    if (n.endsWith('.tmp')) fs.rmSync(path.join(checkpointsDir(runDir), n), { recursive: true, force: true });
}

function readLatestPointer(runDir: string): number | null {
  try {
    const t = fs.readFileSync(path.join(checkpointsDir(runDir), 'latest'), 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : null;
  } catch {
    return null;
  }
}

/** Read and validate one checkpoint folder; throws CheckpointError naming the file and the problem. */
export function readCheckpoint(dir: string): CheckpointPayload {
  const mfile = path.join(dir, 'manifest.json');
  const wfile = path.join(dir, 'weights.bin');
  const m = readJsonOrNull<Manifest>(mfile);
  if (!m) throw new CheckpointError(mfile, `${mfile}: missing or not valid JSON`);
  if (m.formatVersion !== CHECKPOINT_FORMAT_VERSION)
    throw new CheckpointError(mfile, `${mfile}: format version ${m.formatVersion}, this build reads ${CHECKPOINT_FORMAT_VERSION}`);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(wfile);
  } catch {
    throw new CheckpointError(wfile, `${wfile}: missing`);
  }
  if (buf.length !== m.bytes) throw new CheckpointError(wfile, `${wfile}: ${buf.length} bytes, manifest says ${m.bytes}`);
  if (crc32(buf) !== m.crc32) throw new CheckpointError(wfile, `${wfile}: checksum mismatch (file corrupt)`);
  const tensors = new Map<string, TensorRecord>();
  for (const e of m.tensors) {
    // copy so the record owns an aligned buffer independent of the file buffer
    const bytes = buf.subarray(e.offset, e.offset + e.length * 4);
    const ab = new ArrayBuffer(bytes.length);
    new Uint8Array(ab).set(bytes);
    const data = e.dtype === 'int32' ? new Int32Array(ab) : new Float32Array(ab);
    tensors.set(e.name, { shape: e.shape, dtype: e.dtype, data });
  }
  return { step: m.step, tensors, state: m.state };
}

/** A checkpoint folder the lab could not read, and why (the CheckpointError's message). */
export interface UnreadableCheckpoint {
  step: number;
  dir: string;
  reason: string;
}

/** The newest valid checkpoint: the `latest` pointer if it validates, else the newest folder that does. */
export function readLatestCheckpoint(runDir: string): { dir: string; payload: CheckpointPayload } | null {
  return scanCheckpoints(runDir).latest;
}

/**
 * The newest valid checkpoint and every newer one that failed to read on the way (all of them when none reads), so a
 * resume can say what it skipped instead of silently falling back or starting over.
 */
export function scanCheckpoints(runDir: string): { latest: { dir: string; payload: CheckpointPayload } | null; unreadable: UnreadableCheckpoint[] } {
  const root = checkpointsDir(runDir);
  const pointer = readLatestPointer(runDir);
  const candidates = listCheckpoints(runDir).reverse();
  if (pointer !== null) candidates.unshift(pointer);
  const tried = new Set<number>();
  const unreadable: UnreadableCheckpoint[] = [];
  for (const s of candidates) {
    if (tried.has(s)) continue;
    tried.add(s);
    const dir = path.join(root, String(s));
    try {
      return { latest: { dir, payload: readCheckpoint(dir) }, unreadable };
    } catch (e) {
      // vanished (a pointer to a pruned folder) is not corruption; anything else is reported
      if (fs.existsSync(dir)) unreadable.push({ step: s, dir, reason: e instanceof CheckpointError ? e.message : (e as Error).message });
    }
  }
  return { latest: null, unreadable };
}

/**
 * Move unreadable checkpoint folders aside to checkpoints/corrupt-<step>/ (never deleted: they are the evidence, and
 * a person may be able to repair them); pruning and later reads ignore them. Returns the new folders.
 */
export function moveAsideUnreadable(runDir: string, bad: UnreadableCheckpoint[]): string[] {
  const root = checkpointsDir(runDir);
  const moved: string[] = [];
  for (const b of bad) {
    if (!fs.existsSync(b.dir)) continue;
    let target = path.join(root, `corrupt-${b.step}`);
    for (let k = 2; fs.existsSync(target); k++) target = path.join(root, `corrupt-${b.step}-${k}`);
    fs.renameSync(b.dir, target);
    moved.push(target);
  }
  if (moved.length) fsyncDir(root);
  return moved;
}
