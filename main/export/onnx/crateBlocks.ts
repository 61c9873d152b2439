/**
 * CRATE blocks as ONNX subgraphs, mirroring models/crate (and shared/bench/torch_closed_loop.py) op for op.
 * Letters: B batch (dynamic), N tokens, d width, H heads, dh = d/H, P patch, C channels, F feature dim.
 * Row convention throughout: dense kernels are stored (in, out), y = x·W + b.
 */
import type { GraphBuilder } from './graphBuilder';
import { patchGrid, weight, type CrateShapeConfig, type HostWeights } from '../hostWeights';

/** LayerNorm over the last axis (ONNX opset-17 LayerNormalization), eps from the config as in models/crate. */
export function layerNorm(g: GraphBuilder, w: HostWeights, prefix: string, x: string, d: number, eps: number): string {
  const gamma = g.floatInit(`${prefix}/g`, [d], weight(w, `${prefix}/g`, [d]).data);
  const beta = g.floatInit(`${prefix}/b`, [d], weight(w, `${prefix}/b`, [d]).data);
  return g.node('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
}

export function dense(g: GraphBuilder, w: HostWeights, kernel: string, bias: string | null, x: string, din: number, dout: number): string {
  const W = g.floatInit(kernel, [din, dout], weight(w, kernel, [din, dout]).data);
  const y = g.node('MatMul', [x, W]);
  if (!bias) return y;
  const b = g.floatInit(bias, [dout], weight(w, bias, [dout]).data);
  return g.node('Add', [y, b]);
}

/** MSSA(x) with x already normalised: w = x·qkv; A = softmax(w·wᵀ·dh^-0.5); out = merge(A·w)·W + b. */
export function mssa(g: GraphBuilder, w: HostWeights, prefix: string, x: string, d: number, heads: number): string {
  const dh = d / heads;
  const W = dense(g, w, `${prefix}/qkv`, null, x, d, d); // (B, N, d)
  const split = g.node('Reshape', [W, g.ints('heads_shape', [0, 0, heads, dh])]); // (B, N, H, dh)
  const wh = g.node('Transpose', [split], { perm: [0, 2, 1, 3] }); // (B, H, N, dh)
  const wt = g.node('Transpose', [split], { perm: [0, 2, 3, 1] }); // (B, H, dh, N)
  const s = g.node('Mul', [g.node('MatMul', [wh, wt]), g.scalar(dh ** -0.5)]); // (B, H, N, N)
  const a = g.node('Softmax', [s], { axis: -1 }); // over keys
  const o = g.node('MatMul', [a, wh]); // (B, H, N, dh)
  const merged = g.node('Reshape', [g.node('Transpose', [o], { perm: [0, 2, 1, 3] }), g.ints('merge_shape', [0, 0, d])]); // (B, N, d)
  return dense(g, w, `${prefix}/out/W`, `${prefix}/out/b`, merged, d, d);
}

/** CRATE ISTA block on u = LN(x): relu(u + η·((u − u·Dᵀ)·D) − η·λ); no outer residual. */
export function ista(g: GraphBuilder, w: HostWeights, prefix: string, u: string, d: number, eta: number, lambda: number): string {
  const D = g.floatInit(`${prefix}/D`, [d, d], weight(w, `${prefix}/D`, [d, d]).data);
  const Dt = g.node('Transpose', [D], { perm: [1, 0] }); // folded to a constant by runtimes
  const r = g.node('Sub', [u, g.node('MatMul', [u, Dt])]); // (B, N, d)
  const step = g.node('Mul', [g.node('MatMul', [r, D]), g.scalar(eta)]);
  return g.node('Relu', [g.node('Sub', [g.node('Add', [u, step]), g.scalar(eta * lambda)])]);
}

/**
 * CRATE-α overcomplete block on u = LN(x), D and D1 stored (d, 4d):
 * A1 = relu(η·u·D − ηλ); A2 = relu(A1 − η·(A1·Dᵀ − u)·D − ηλ); out = A2·D1ᵀ (the caller adds the residual).
 */
export function alphaBlock(g: GraphBuilder, w: HostWeights, prefix: string, u: string, d: number, eta: number, lambda: number): string {
  const D = g.floatInit(`${prefix}/D`, [d, 4 * d], weight(w, `${prefix}/D`, [d, 4 * d]).data);
  const D1 = g.floatInit(`${prefix}/D1`, [d, 4 * d], weight(w, `${prefix}/D1`, [d, 4 * d]).data);
  const Dt = g.node('Transpose', [D], { perm: [1, 0] });
  const D1t = g.node('Transpose', [D1], { perm: [1, 0] });
  const thr = g.scalar(eta * lambda);
  const a1 = g.node('Relu', [g.node('Sub', [g.node('Mul', [g.node('MatMul', [u, D]), g.scalar(eta)]), thr])]); // (B, N, 4d)
  const resid = g.node('Sub', [g.node('MatMul', [a1, Dt]), u]); // (B, N, d)
  const a2 = g.node('Relu', [g.node('Sub', [g.node('Sub', [a1, g.node('Mul', [g.node('MatMul', [resid, D]), g.scalar(eta)])]), thr])]);
  return g.node('MatMul', [a2, D1t]); // (B, N, d)
}

/** (B, C, H, W) → (B, N, P·P·C), patch vector order (p_row, p_col, c), patches row-major. */
export function patchify(g: GraphBuilder, cfg: CrateShapeConfig, image: string): string {
  const [c] = cfg.imageShape;
  const p = cfg.patch;
  const { gh, gw, n, patchDim } = patchGrid(cfg);
  const x6 = g.node('Reshape', [image, g.ints('patch_split', [0, c, gh, p, gw, p])]); // (B, C, gh, P, gw, P)
  const t = g.node('Transpose', [x6], { perm: [0, 2, 4, 3, 5, 1] }); // (B, gh, gw, P, P, C)
  return g.node('Reshape', [t, g.ints('patch_merge', [0, n, patchDim])]); // (B, N, P·P·C)
}

/** Inverse of patchify: (B, N, P·P·C) → (B, C, H, W). */
export function unpatchify(g: GraphBuilder, cfg: CrateShapeConfig, x: string): string {
  const [c, h, wd] = cfg.imageShape;
  const p = cfg.patch;
  const { gh, gw } = patchGrid(cfg);
  const x6 = g.node('Reshape', [x, g.ints('unpatch_split', [0, gh, gw, p, p, c])]); // (B, gh, gw, P, P, C)
  const t = g.node('Transpose', [x6], { perm: [0, 5, 1, 3, 2, 4] }); // (B, C, gh, P, gw, P)
  return g.node('Reshape', [t, g.ints('unpatch_merge', [0, c, h, wd])]); // (B, C, H, W)
}

/** The encoder f: image (B, C, H, W) → unit feature (B, F). */
export function encoderGraph(g: GraphBuilder, w: HostWeights, cfg: CrateShapeConfig, image: string): string {
  const d = cfg.dim;
  const eps = cfg.layerNormEps ?? 1e-5;
  const { n, patchDim } = patchGrid(cfg);
  // 1. patch embedding: LN → Linear → LN
  let x = layerNorm(g, w, 'enc/embed/ln0', patchify(g, cfg, image), patchDim, eps);
  x = dense(g, w, 'enc/embed/W', 'enc/embed/b', x, patchDim, d);
  x = layerNorm(g, w, 'enc/embed/ln1', x, d, eps); // (B, N, d)
  // 2. prepend the class token (broadcast over the dynamic batch) and add positions
  const cls = g.floatInit('enc/cls', [1, 1, d], weight(w, 'enc/cls', [1, d]).data);
  const batch = g.node('Shape', [image], { start: 0, end: 1 }); // [B]
  const clsShape = g.node('Concat', [batch, g.ints('cls_tail', [1, d])], { axis: 0 });
  const clsB = g.node('Expand', [cls, clsShape]); // (B, 1, d)
  x = g.node('Concat', [clsB, x], { axis: 1 }); // (B, N+1, d)
  const pos = g.floatInit('enc/pos', [n + 1, d], weight(w, 'enc/pos', [n + 1, d]).data);
  x = g.node('Add', [x, pos]);
  // 3. layers: x = x + MSSA(LN1(x)); then the sparse block on LN2(x)
  for (let l = 0; l < cfg.depthEncoder; l++) {
    const pre = `enc/l${l}`;
    x = g.node('Add', [x, mssa(g, w, pre, layerNorm(g, w, `${pre}/ln1`, x, d, eps), d, cfg.heads)]);
    const u = layerNorm(g, w, `${pre}/ln2`, x, d, eps);
    x =
      cfg.sparseBlock === 'alpha'
        ? g.node('Add', [x, alphaBlock(g, w, pre, u, d, cfg.istaStep, cfg.istaLambda)])
        : ista(g, w, pre, u, d, cfg.istaStep, cfg.istaLambda);
  }
  // 4. pool → LN → head → L2 normalise (torch F.normalize: x / max(‖x‖, 1e-12))
  const tokens = (): string => g.node('Slice', [x, g.ints('tok_start', [1]), g.ints('tok_end', [n + 1]), g.ints('tok_axis', [1])]); // (B, N, d)
  const h =
    cfg.pool === 'cls'
      ? g.node('Gather', [x, g.int64Init('cls_index', [], [0])], { axis: 1 }) // (B, d)
      : cfg.pool === 'flat'
        ? g.node('Reshape', [tokens(), g.ints('flat_shape', [0, n * d])]) // (B, N·d), 0 keeps the batch
        : g.node('ReduceMean', [tokens()], { axes: [1], keepdims: 0 }); // (B, d)
  const hd = cfg.pool === 'flat' ? n * d : d;
  const f = dense(g, w, 'enc/head/W', null, layerNorm(g, w, 'enc/ln', h, hd, eps), hd, cfg.featureDim); // (B, F)
  const norm = g.node('Max', [g.node('ReduceL2', [f], { axes: [-1], keepdims: 1 }), g.scalar(1e-12)]);
  return g.node('Div', [f, norm]);
}

/** The decoder g: feature (B, F) → image (B, C, H, W) in (−1, 1). */
export function decoderGraph(g: GraphBuilder, w: HostWeights, cfg: CrateShapeConfig, z: string): string {
  const d = cfg.dim;
  const eps = cfg.layerNormEps ?? 1e-5;
  const { n, patchDim } = patchGrid(cfg);
  const h = dense(g, w, 'dec/in/W', 'dec/in/b', z, cfg.featureDim, d); // (B, d)
  const pos = g.floatInit('dec/pos', [n, d], weight(w, 'dec/pos', [n, d]).data);
  let x = g.node('Add', [g.node('Unsqueeze', [h, g.ints('tok_axis', [1])]), pos]); // (B, N, d)
  for (let l = 0; l < cfg.depthDecoder; l++) {
    const pre = `dec/l${l}`;
    const D = g.floatInit(`${pre}/D`, [d, d], weight(w, `${pre}/D`, [d, d]).data);
    const y = g.node('MatMul', [layerNorm(g, w, `${pre}/ln1`, x, d, eps), g.node('Transpose', [D], { perm: [1, 0] })]); // LN1(x)·Dᵀ
    x = g.node('Sub', [y, mssa(g, w, pre, layerNorm(g, w, `${pre}/ln2`, y, d, eps), d, cfg.heads)]);
  }
  const out = dense(g, w, 'dec/out/W', 'dec/out/b', layerNorm(g, w, 'dec/ln', x, d, eps), d, patchDim); // (B, N, P·P·C)
  return g.node('Tanh', [unpatchify(g, cfg, out)]);
}
