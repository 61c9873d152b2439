// A run's checkpoint: everything the learner carries (both networks and optimisers, the memory, the baselines' frozen
// encoder and branch point, the classifier, the position, the RNG state and the logs' lengths) written every
// `checkpointEvery` steps and at each task end, and read back on resume or after a divergence. A restored run draws
// the same batches and writes the same logs as one that was never interrupted.
import { readLatestCheckpoint, removeStaleCheckpointTmp, writeCheckpoint as writeCheckpointFiles, type CheckpointPayload, type TensorRecord } from '../../store/checkpoints';
import { readNdjson, truncateNdjson } from '../../store/ndjson';
import { knowledgeFile, metricsFile } from '../../store/runFiles';
import type { TaskRecord } from '../../../preload/api';
import { classifierFromTensors, classifierToTensors } from '../classifierTensors';
import { MemoryBank } from '../memoryBank';
import { EngineRng } from '../rng';
import { StreamingLda } from '../streamingLda';
import type { RunContext } from './context';
import { enterTask } from './startTask';
import type { EngineTaskRecord, Position } from './state';

export async function writeCheckpoint(ctx: RunContext): Promise<void> {
  const { d, s } = ctx;
  if (!d.persist) return;
  const F = d.model.featureDim;
  const tensors = await d.model.exportState();
  for (const [k, v] of s.memory.toTensors('mem')) tensors.set(k, v);
  if (s.frozen) {
    for (const [k, v] of s.frozen.params) tensors.set(`frozen/${k}`, v);
    for (const [k, v] of s.frozen.memory.toTensors('fmem')) tensors.set(k, v);
    for (const [k, v] of s.frozen.lda.toTensors('flda')) tensors.set(k, v);
  }
  if (s.branch) for (const [k, v] of s.branch) tensors.set(`branch/${k}`, v);
  if (s.classifier) classifierToTensors(s.classifier, tensors);
  // f₀ of the task's new images (drift compensation 2/3): without it a task resumed mid-way could not compensate
  if (s.driftProbe?.task === s.pos.task) tensors.set('task/driftprobe', { shape: [s.driftProbe.n, F], dtype: 'float32', data: s.driftProbe.z0 });
  if (s.task?.zAnchor) tensors.set('task/zanchor', { shape: [s.task.zAnchor.length / F, F], dtype: 'float32', data: s.task.zAnchor });
  if (s.task?.xMem) tensors.set('task/xmem', { shape: [s.task.xMem.length / d.model.imageSize, d.model.imageSize], dtype: 'float32', data: s.task.xMem });
  const logs = ctx.out.sync();
  const payload: CheckpointPayload = {
    step: s.pos.step,
    tensors,
    state: {
      runId: d.run.id,
      pos: { ...s.pos },
      tasks: s.tasks,
      classNames: d.data.classNames,
      lrScale: s.lrScale,
      divergences: s.divergences,
      rng: s.rng.state,
      elapsed: s.elapsed,
      autonomous: ctx.control.autonomous,
      recipe: d.recipe,
      config: d.run.config,
      ...logs,
    },
  };
  writeCheckpointFiles(d.runDir, payload, d.recipe.keep);
}

/** Restore the newest valid checkpoint (resume, divergence). Returns false when there is none. */
export async function restoreCheckpoint(ctx: RunContext): Promise<boolean> {
  const { d, s } = ctx;
  removeStaleCheckpointTmp(d.runDir);
  const got = readLatestCheckpoint(d.runDir);
  if (!got) {
    // killed before the first checkpoint: start over with empty logs
    truncateNdjson(metricsFile(d.runDir), 0);
    truncateNdjson(knowledgeFile(d.runDir), 0);
    return false;
  }
  const { tensors, state } = got.payload;
  const st = state as {
    pos: Position; tasks: number[][]; classNames: string[]; lrScale: number; divergences: number; rng: number;
    elapsed: number; autonomous: boolean; metricsBytes: number; knowledgeBytes: number;
  };
  truncateNdjson(metricsFile(d.runDir), st.metricsBytes);
  truncateNdjson(knowledgeFile(d.runDir), st.knowledgeBytes);
  await d.model.importState(tensors);
  const F = d.model.featureDim;
  const allClasses = st.classNames.map((_, i) => i);
  s.memory = MemoryBank.fromTensors('mem', F, tensors, allClasses);
  s.frozen?.enc.dispose();
  s.frozen = null;
  const fparams = prefixed(tensors, 'frozen/');
  if (fparams.size) {
    s.frozen = {
      params: fparams,
      enc: d.makeEncoder({ params: fparams }),
      memory: MemoryBank.fromTensors('fmem', F, tensors, allClasses),
      lda: StreamingLda.fromTensors('flda', F, tensors) ?? new StreamingLda(F),
    };
  }
  s.classifier = classifierFromTensors(tensors, F);
  const branch = prefixed(tensors, 'branch/');
  s.branch = branch.size ? branch : null;
  s.pos = { ...st.pos };
  s.tasks = st.tasks.map((t) => [...t]);
  s.lrScale = st.lrScale;
  s.divergences = st.divergences;
  s.rng = EngineRng.fromState(st.rng);
  s.elapsedBefore = st.elapsed;
  s.startedAt = Date.now();
  ctx.control.autonomous = st.autonomous;
  s.history = readNdjson<TaskRecord>(knowledgeFile(d.runDir)).records.filter((r): r is EngineTaskRecord => r.kind === 'task');
  s.task = null;
  if (s.pos.phase === 'warmup' || s.pos.phase === 'loop' || s.pos.phase === 'decoder' || s.pos.phase === 'finalize') {
    const xm = tensors.get('task/xmem');
    const za = tensors.get('task/zanchor');
    const dp = tensors.get('task/driftprobe');
    s.driftProbe = dp ? { task: s.pos.task, z0: dp.data as Float32Array, n: dp.shape[0] } : null;
    enterTask(ctx, xm ? (xm.data as Float32Array) : null, za ? (za.data as Float32Array) : null);
  }
  return true;
}

/** The tensors under `prefix`, with the prefix taken off. */
function prefixed(tensors: Map<string, TensorRecord>, prefix: string): Map<string, TensorRecord> {
  const out = new Map<string, TensorRecord>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}
