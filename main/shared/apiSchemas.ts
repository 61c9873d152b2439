/**
 * Argument schemas for every LabApi request, shared by the Electron IPC wrapper and the web-mode WebSocket
 * server: whatever door a request comes through, nothing unvalidated reaches the engine.
 */
import { z } from 'zod';
import { LAB_METHODS, type LabApi, type LabMethod, type Result } from '../../preload/api';

// Run ids become directory names: no separators, no '.' or '..', bounded length.
const runId = z
  .string()
  .regex(/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/, 'a run id (letters, digits, ".", "_" or "-", at most 128)');

// Dataset specs and paths are resolved by the engine (which reports missing files); here only bound them.
const spec = z.string().min(1).max(4096);
const backendChoice = z.enum(['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
const count = (max: number) => z.number().int().min(1).max(max);

const startRunRequest = z.strictObject({
  data: spec,
  preset: z.string().min(1).max(64),
  backend: backendChoice,
  classesPerTask: count(1000),
  seed: z.number().int().min(0).max(2 ** 31 - 1),
  orderSeed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  quick: z.boolean(),
  name: z.string().max(200).optional(),
  order: z.array(z.number().int().min(0).max(100_000)).max(100_000).optional(),
  tasks: count(100_000).optional(),
  autonomous: z.boolean().optional(),
  watchDir: spec.optional(),
  from: spec.optional(),
  decoderEpochs: z.number().int().min(0).max(10_000).optional(),
});

const startSweepRequest = z.strictObject({
  run: startRunRequest,
  seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1).max(1000),
  group: z.string().regex(/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,120}$/, 'a group name (letters, digits, ".", "_" or "-", at most 120)').optional(),
});

const controlRequest = z.strictObject({
  runId,
  action: z.enum(['pause', 'resume', 'stop', 'step', 'nextTask', 'autonomous']),
  steps: count(1_000_000).optional(),
  enabled: z.boolean().optional(),
  watchDir: spec.optional(),
});

const exportRequest = z.strictObject({
  runId,
  what: z.enum(['encoder', 'decoder', 'classifier', 'memory', 'all']),
  format: z.enum(['onnx', 'tfjs']),
  outDir: spec.optional(),
});

type ArgSchemas = { [M in LabMethod]: z.ZodType<Parameters<LabApi[M]>> };

/** One tuple schema per method: exactly the method's parameters, nothing extra. */
export const ARG_SCHEMAS: Readonly<ArgSchemas> = Object.freeze({
  system: z.tuple([]),
  presets: z.tuple([]),
  inspectData: z.tuple([spec]),
  listRuns: z.tuple([]),
  getRun: z.tuple([runId]),
  deleteRun: z.tuple([runId]),
  startRun: z.tuple([startRunRequest]),
  listGroups: z.tuple([]),
  startSweep: z.tuple([startSweepRequest]),
  resumeRun: z.tuple([runId]),
  control: z.tuple([controlRequest]),
  exportRun: z.tuple([exportRequest]),
  pickPath: z.tuple([z.enum(['folder', 'file'])]),
} satisfies ArgSchemas);

export function isLabMethod(m: unknown): m is LabMethod {
  return typeof m === 'string' && (LAB_METHODS as readonly string[]).includes(m);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `argument ${i.path.join('.')}` : 'arguments'}: ${i.message}`)
    .join('; ');
}

/** Validates a method's arguments; the error names the method and what was wrong. */
export function validateArgs<M extends LabMethod>(method: M, args: unknown): Result<Parameters<LabApi[M]>>;
export function validateArgs(method: unknown, args: unknown): Result<unknown[]>;
export function validateArgs(method: unknown, args: unknown): Result<unknown[]> {
  if (!isLabMethod(method)) {
    return { ok: false, error: { code: 'bad-request', message: `Unknown method ${JSON.stringify(method)}; expected one of ${LAB_METHODS.join(', ')}.` } };
  }
  const parsed = (ARG_SCHEMAS[method] as z.ZodType<unknown[]>).safeParse(args);
  if (!parsed.success) {
    return { ok: false, error: { code: 'bad-request', message: `Invalid arguments for ${method}: ${describeIssues(parsed.error)}.` } };
  }
  return { ok: true, value: parsed.data };
}

/** A web-mode request frame (preload/api.ts WsRequest). */
export const wsRequestSchema = z.strictObject({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  method: z.string(),
  args: z.array(z.unknown()).max(8),
});
