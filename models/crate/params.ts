/**
 * CRATE weights as flat, ordered maps of named variables (checkpoints and ONNX export walk them in order).
 *
 * Names and shapes mirror /shared/bench/torch_closed_loop.py one to one; dense kernels are stored (in, out)
 * so y = x·W + b (PyTorch stores (out, in): transpose when importing). Initialisation follows PyTorch:
 * - nn.Linear default: W and b ~ U(±1/√fan_in) (kaiming_uniform with a = √5 gives exactly that bound);
 * - dictionary D: kaiming_uniform_ (a = 0): U(±√(6/fan_in)), fan_in = the torch tensor's second axis;
 * - class token and encoder position embedding ~ N(0, 1) (CRATE §2.2); decoder position embedding ~ N(0, 0.02²);
 * - LayerNorm g = 1, b = 0.
 */
import * as tf from '@tensorflow/tfjs';
import { type CrateConfig, numPatches, patchDim } from './config';

export type ParamMap = Map<string, tf.Variable>;

type Init =
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'const'; value: number };

export interface Spec {
  name: string;
  shape: number[];
  init: Init;
}

const linearInit = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
const kaimingInit = (fanIn: number): Init => ({ kind: 'uniform', bound: Math.sqrt(6 / fanIn) });
const ONES: Init = { kind: 'const', value: 1 };
const ZEROS: Init = { kind: 'const', value: 0 };

function layerNormSpecs(prefix: string, n: number): Spec[] {
  return [
    { name: `${prefix}/g`, shape: [n], init: ONES },
    { name: `${prefix}/b`, shape: [n], init: ZEROS },
  ];
}

function mssaSpecs(prefix: string, d: number): Spec[] {
  return [
    { name: `${prefix}/qkv`, shape: [d, d], init: linearInit(d) },
    { name: `${prefix}/out/W`, shape: [d, d], init: linearInit(d) },
    { name: `${prefix}/out/b`, shape: [d], init: linearInit(d) },
  ];
}

/** Encoder parameter list in checkpoint order. */
export function encoderSpecs(cfg: CrateConfig): Spec[] {
  const d = cfg.dim;
  const pd = patchDim(cfg);
  const n = numPatches(cfg);
  const specs: Spec[] = [
    ...layerNormSpecs('enc/embed/ln0', pd),
    { name: 'enc/embed/W', shape: [pd, d], init: linearInit(pd) },
    { name: 'enc/embed/b', shape: [d], init: linearInit(pd) },
    ...layerNormSpecs('enc/embed/ln1', d),
    { name: 'enc/cls', shape: [1, d], init: { kind: 'normal', std: 1 } },
    { name: 'enc/pos', shape: [n + 1, d], init: { kind: 'normal', std: 1 } },
  ];
  for (let l = 0; l < cfg.depthEncoder; l++) {
    const p = `enc/l${l}`;
    specs.push(...layerNormSpecs(`${p}/ln1`, d), ...mssaSpecs(p, d), ...layerNormSpecs(`${p}/ln2`, d));
    if (cfg.sparseBlock === 'alpha') {
      // CRATE-α dictionaries D, D̂ ∈ R^{d×4d}; kaiming_uniform on the torch (d, 4d) tensor → fan_in 4d.
      specs.push(
        { name: `${p}/D`, shape: [d, 4 * d], init: kaimingInit(4 * d) },
        { name: `${p}/D1`, shape: [d, 4 * d], init: kaimingInit(4 * d) },
      );
    } else {
      specs.push({ name: `${p}/D`, shape: [d, d], init: kaimingInit(d) });
    }
  }
  const hd = headInputDim(cfg);
  specs.push(...layerNormSpecs('enc/ln', hd), { name: 'enc/head/W', shape: [hd, cfg.featureDim], init: linearInit(hd) });
  return specs;
}

/** Decoder parameter list in checkpoint order. */
export function decoderSpecs(cfg: CrateConfig): Spec[] {
  const d = cfg.dim;
  const pd = patchDim(cfg);
  const n = numPatches(cfg);
  const f = cfg.featureDim;
  const specs: Spec[] = [
    { name: 'dec/in/W', shape: [f, d], init: linearInit(f) },
    { name: 'dec/in/b', shape: [d], init: linearInit(f) },
    { name: 'dec/pos', shape: [n, d], init: { kind: 'normal', std: 0.02 } },
  ];
  for (let l = 0; l < cfg.depthDecoder; l++) {
    const p = `dec/l${l}`;
    specs.push(
      ...layerNormSpecs(`${p}/ln1`, d),
      { name: `${p}/D`, shape: [d, d], init: kaimingInit(d) },
      ...layerNormSpecs(`${p}/ln2`, d),
      ...mssaSpecs(p, d),
    );
  }
  specs.push(
    ...layerNormSpecs('dec/ln', d),
    { name: 'dec/out/W', shape: [d, pd], init: linearInit(d) },
    { name: 'dec/out/b', shape: [pd], init: linearInit(d) },
  );
  return specs;
}

function materialise(specs: Spec[], seed: number): ParamMap {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`initParams: seed must be an integer ≥ 0, got ${seed}`);
  const out: ParamMap = new Map();
  specs.forEach((s, i) => {
    // One derived seed per tensor so that adding a layer does not reshuffle the others' draws.
    const sd = seed * 100_003 + i + 1;
    const value = tf.tidy(() => {
      switch (s.init.kind) {
        case 'uniform':
          return tf.randomUniform(s.shape, -s.init.bound, s.init.bound, 'float32', sd);
        case 'normal':
          return tf.randomNormal(s.shape, 0, s.init.std, 'float32', sd);
        case 'const':
          return tf.fill(s.shape, s.init.value);
      }
    });
    // Unnamed variables: TF.js variable names are process-global, and two models may coexist.
    out.set(s.name, tf.variable(value, true));
    value.dispose();
  });
  return out;
}

export function initEncoderParams(cfg: CrateConfig, seed: number): ParamMap {
  return materialise(encoderSpecs(cfg), seed);
}

export function initDecoderParams(cfg: CrateConfig, seed: number): ParamMap {
  return materialise(decoderSpecs(cfg), seed);
}

export function countParams(p: ParamMap): number {
  let n = 0;
  for (const v of p.values()) n += v.size;
  return n;
}

/** Count of a spec list without allocating tensors. */
export function countSpecs(specs: { shape: number[] }[]): number {
  return specs.reduce((acc, s) => acc + s.shape.reduce((a, b) => a * b, 1), 0);
}

export function disposeParams(p: ParamMap): void {
  for (const v of p.values()) v.dispose();
  p.clear();
}

/** The variable `name`, or a clear error naming what is missing. */
export function param(p: ParamMap, name: string): tf.Variable {
  const v = p.get(name);
  if (!v) throw new Error(`CRATE params: missing '${name}' (have ${p.size} tensors)`);
  return v;
}

/**
 * Parameters of the official CRATE image classifier (Ma-Lab-Berkeley/CRATE model/crate.py, CRATE_SPEC §2.2–2.3):
 * LN(pd) + Linear(pd, d) + LN(d) embedding, cls d, pos (N+1)·d, per layer 3d² + 5d, LN(d) + Linear(d, classes) head.
 * qkv is d×d because heads·dim_head = d in every factory.
 */
export function crateClassifierParamCount(
  dim: number,
  heads: number,
  depth: number,
  patch: number,
  channels: number,
  image: number,
  classes: number,
): number {
  if (dim % heads !== 0) throw new Error(`crateClassifierParamCount: dim ${dim} not divisible by heads ${heads}`);
  if (image % patch !== 0) throw new Error(`crateClassifierParamCount: image ${image} not divisible by patch ${patch}`);
  const pd = patch * patch * channels;
  const n = (image / patch) ** 2;
  const embed = 2 * pd + pd * dim + dim + 2 * dim;
  const tokens = dim + (n + 1) * dim;
  const perLayer = 2 * (2 * dim) + dim * dim + (dim * dim + dim) + dim * dim; // 2 LN, qkv, to_out, D
  const head = 2 * dim + dim * classes + classes;
  return embed + tokens + depth * perLayer + head;
}

/** Width of the head's input: one token (cls / mean pooling) or all N patch tokens side by side (flat pooling). */
export function headInputDim(cfg: CrateConfig): number {
  return cfg.pool === 'flat' ? numPatches(cfg) * cfg.dim : cfg.dim;
}
