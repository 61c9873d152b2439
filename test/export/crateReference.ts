/**
 * An independent float64 reference of the CRATE encoder/decoder and the nearest-subspace head, written from
 * torch_closed_loop.py with plain loops, so the ONNX graphs are checked against something other than themselves.
 */
import type { CrateShapeConfig, HostWeights } from '../../main/export/hostWeights';
import type { SubspaceHead } from '../../main/export/onnx/subspaceHead';
import { mulberry32 } from '../../models/memory/random';

type M = Float64Array[]; // rows

/** LayerNorm epsilon of the model being referenced (set from the config at each entry point). */
let lnEps = 1e-5;

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** Every parameter named in the brief, with random values (LN gains near 1 so the signal stays well scaled). */
export function randomWeights(cfg: CrateShapeConfig, seed: number): HostWeights {
  const w: HostWeights = new Map();
  const [c, h, wd] = cfg.imageShape;
  const n = (h / cfg.patch) * (wd / cfg.patch);
  const pd = cfg.patch * cfg.patch * c;
  const d = cfg.dim;
  let s = seed;
  const add = (name: string, shape: number[], kind: 'w' | 'g' | 'b' = 'w') => {
    const size = shape.reduce((a, b) => a * b, 1);
    const fan = shape.length === 2 ? shape[0] : 1;
    const data = randomArray(size, s++, kind === 'w' ? Math.sqrt(3 / fan) : 0.2);
    if (kind === 'g') for (let i = 0; i < size; i++) data[i] += 1;
    w.set(name, { shape, data });
  };
  const ln = (p: string, dim: number) => (add(`${p}/g`, [dim], 'g'), add(`${p}/b`, [dim], 'b'));
  ln('enc/embed/ln0', pd);
  add('enc/embed/W', [pd, d]);
  add('enc/embed/b', [d], 'b');
  ln('enc/embed/ln1', d);
  add('enc/cls', [1, d], 'b');
  add('enc/pos', [n + 1, d], 'b');
  for (let l = 0; l < cfg.depthEncoder; l++) {
    ln(`enc/l${l}/ln1`, d);
    add(`enc/l${l}/qkv`, [d, d]);
    add(`enc/l${l}/out/W`, [d, d]);
    add(`enc/l${l}/out/b`, [d], 'b');
    ln(`enc/l${l}/ln2`, d);
    if (cfg.sparseBlock === 'alpha') {
      add(`enc/l${l}/D`, [d, 4 * d]);
      add(`enc/l${l}/D1`, [d, 4 * d]);
    } else add(`enc/l${l}/D`, [d, d]);
  }
  const hd = cfg.pool === 'flat' ? n * d : d; // flat pooling: the head reads all N tokens side by side
  ln('enc/ln', hd);
  add('enc/head/W', [hd, cfg.featureDim]);
  add('dec/in/W', [cfg.featureDim, d]);
  add('dec/in/b', [d], 'b');
  add('dec/pos', [n, d], 'b');
  for (let l = 0; l < cfg.depthDecoder; l++) {
    ln(`dec/l${l}/ln1`, d);
    add(`dec/l${l}/D`, [d, d]);
    ln(`dec/l${l}/ln2`, d);
    add(`dec/l${l}/qkv`, [d, d]);
    add(`dec/l${l}/out/W`, [d, d]);
    add(`dec/l${l}/out/b`, [d], 'b');
  }
  ln('dec/ln', d);
  add('dec/out/W', [d, pd]);
  add('dec/out/b', [pd], 'b');
  return w;
}

const get = (w: HostWeights, n: string) => {
  const t = w.get(n);
  if (!t) throw new Error(`reference: missing ${n}`);
  return t;
};

function matmul(x: M, w: HostWeights, name: string, bias?: string): M {
  const t = get(w, name);
  const [din, dout] = t.shape;
  const b = bias ? get(w, bias).data : null;
  return x.map((row) => {
    const y = new Float64Array(dout);
    for (let o = 0; o < dout; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < din; i++) s += row[i] * t.data[i * dout + o];
      y[o] = s;
    }
    return y;
  });
}

/** x·Wᵀ for a stored W of shape (a, b): rows of length b → rows of length a. */
function matmulT(x: M, w: HostWeights, name: string): M {
  const t = get(w, name);
  const [a, b] = t.shape;
  return x.map((row) => {
    const y = new Float64Array(a);
    for (let o = 0; o < a; o++) {
      let s = 0;
      for (let i = 0; i < b; i++) s += row[i] * t.data[o * b + i];
      y[o] = s;
    }
    return y;
  });
}

function layerNorm(x: M, w: HostWeights, p: string): M {
  const g = get(w, `${p}/g`).data;
  const b = get(w, `${p}/b`).data;
  return x.map((row) => {
    const n = row.length;
    const mean = row.reduce((a, v) => a + v, 0) / n;
    const varr = row.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const inv = 1 / Math.sqrt(varr + lnEps);
    return row.map((v, i) => (v - mean) * inv * g[i] + b[i]);
  });
}

function mssa(x: M, w: HostWeights, p: string, heads: number): M {
  const W = matmul(x, w, `${p}/qkv`);
  const d = W[0].length;
  const dh = d / heads;
  const n = W.length;
  const o: M = Array.from({ length: n }, () => new Float64Array(d));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) {
      const s = new Float64Array(n);
      let mx = -Infinity;
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < dh; k++) v += W[i][h * dh + k] * W[j][h * dh + k];
        s[j] = v * dh ** -0.5;
        mx = Math.max(mx, s[j]);
      }
      let tot = 0;
      for (let j = 0; j < n; j++) tot += s[j] = Math.exp(s[j] - mx);
      for (let j = 0; j < n; j++) for (let k = 0; k < dh; k++) o[i][h * dh + k] += (s[j] / tot) * W[j][h * dh + k];
    }
  }
  return matmul(o, w, `${p}/out/W`, `${p}/out/b`);
}

const add = (a: M, b: M) => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const sub = (a: M, b: M) => a.map((r, i) => r.map((v, j) => v - b[i][j]));

function patchify(img: Float32Array, off: number, cfg: CrateShapeConfig): M {
  const [c, h, wd] = cfg.imageShape;
  const p = cfg.patch;
  const out: M = [];
  for (let gy = 0; gy < h / p; gy++)
    for (let gx = 0; gx < wd / p; gx++) {
      const v = new Float64Array(p * p * c);
      let k = 0;
      for (let py = 0; py < p; py++)
        for (let px = 0; px < p; px++) for (let ch = 0; ch < c; ch++) v[k++] = img[off + (ch * h + gy * p + py) * wd + gx * p + px];
      out.push(v);
    }
  return out;
}

export function refEncode(w: HostWeights, cfg: CrateShapeConfig, images: Float32Array, batch: number): Float64Array {
  lnEps = cfg.layerNormEps ?? 1e-5;
  const [c, h, wd] = cfg.imageShape;
  const out = new Float64Array(batch * cfg.featureDim);
  const eta = cfg.istaStep;
  const lam = cfg.istaLambda;
  for (let b = 0; b < batch; b++) {
    let x = layerNorm(patchify(images, b * c * h * wd, cfg), w, 'enc/embed/ln0');
    x = layerNorm(matmul(x, w, 'enc/embed/W', 'enc/embed/b'), w, 'enc/embed/ln1');
    x = [Float64Array.from(get(w, 'enc/cls').data), ...x];
    const pos = get(w, 'enc/pos').data;
    const d = cfg.dim;
    x = x.map((r, i) => r.map((v, j) => v + pos[i * d + j]));
    for (let l = 0; l < cfg.depthEncoder; l++) {
      const p = `enc/l${l}`;
      x = add(x, mssa(layerNorm(x, w, `${p}/ln1`), w, p, cfg.heads));
      const u = layerNorm(x, w, `${p}/ln2`);
      if (cfg.sparseBlock === 'alpha') {
        const a1 = matmul(u, w, `${p}/D`).map((r) => r.map((v) => Math.max(0, eta * v - eta * lam)));
        const g = matmul(sub(matmulT(a1, w, `${p}/D`), u), w, `${p}/D`);
        const a2 = a1.map((r, i) => r.map((v, j) => Math.max(0, v - eta * g[i][j] - eta * lam)));
        x = add(x, matmulT(a2, w, `${p}/D1`));
      } else {
        const step = matmul(sub(u, matmulT(u, w, `${p}/D`)), w, `${p}/D`);
        x = u.map((r, i) => r.map((v, j) => Math.max(0, v + eta * step[i][j] - eta * lam)));
      }
    }
    const pooled =
      cfg.pool === 'cls'
        ? x[0]
        : cfg.pool === 'flat'
          ? Float64Array.from(x.slice(1).flatMap((r) => Array.from(r))) // tokens side by side, patch order
          : x.slice(1).reduce((acc, r) => acc.map((v, j) => v + r[j] / (x.length - 1)), new Float64Array(d));
    const f = matmul(layerNorm([pooled], w, 'enc/ln'), w, 'enc/head/W')[0];
    const norm = Math.max(Math.sqrt(f.reduce((a, v) => a + v * v, 0)), 1e-12);
    out.set(f.map((v) => v / norm), b * cfg.featureDim);
  }
  return out;
}

export function refDecode(w: HostWeights, cfg: CrateShapeConfig, z: Float32Array, batch: number): Float64Array {
  lnEps = cfg.layerNormEps ?? 1e-5;
  const [c, h, wd] = cfg.imageShape;
  const p = cfg.patch;
  const F = cfg.featureDim;
  const d = cfg.dim;
  const out = new Float64Array(batch * c * h * wd);
  const pos = get(w, 'dec/pos').data;
  const n = pos.length / d;
  for (let b = 0; b < batch; b++) {
    const hin = matmul([Float64Array.from(z.subarray(b * F, (b + 1) * F))], w, 'dec/in/W', 'dec/in/b')[0];
    let x: M = Array.from({ length: n }, (_, i) => hin.map((v, j) => v + pos[i * d + j]));
    for (let l = 0; l < cfg.depthDecoder; l++) {
      const pre = `dec/l${l}`;
      const y = matmulT(layerNorm(x, w, `${pre}/ln1`), w, `${pre}/D`);
      x = sub(y, mssa(layerNorm(y, w, `${pre}/ln2`), w, pre, cfg.heads));
    }
    const o = matmul(layerNorm(x, w, 'dec/ln'), w, 'dec/out/W', 'dec/out/b');
    let t = 0;
    for (let gy = 0; gy < h / p; gy++)
      for (let gx = 0; gx < wd / p; gx++, t++) {
        let k = 0;
        for (let py = 0; py < p; py++)
          for (let px = 0; px < p; px++)
            for (let ch = 0; ch < c; ch++) out[b * c * h * wd + (ch * h + gy * p + py) * wd + gx * p + px] = Math.tanh(o[t][k++]);
      }
  }
  return out;
}

export function refSubspace(head: SubspaceHead, z: ArrayLike<number>, batch: number): { residuals: Float64Array; label: number[] } {
  const F = head.featureDim;
  const k = head.classes.length;
  const residuals = new Float64Array(batch * k);
  const label: number[] = [];
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let j = 0; j < k; j++) {
      const r = head.bases[j].length / F;
      const diff = Float64Array.from({ length: F }, (_, f) => z[b * F + f] - head.means[j][f]);
      const coef = new Float64Array(r);
      for (let c = 0; c < r; c++) for (let f = 0; f < F; f++) coef[c] += diff[f] * head.bases[j][f * r + c];
      let s = 0;
      for (let f = 0; f < F; f++) {
        let proj = 0;
        for (let c = 0; c < r; c++) proj += coef[c] * head.bases[j][f * r + c];
        s += (diff[f] - proj) ** 2;
      }
      residuals[b * k + j] = Math.sqrt(s);
      if (residuals[b * k + j] < residuals[b * k + best]) best = j;
    }
    label.push(head.classes[best]);
  }
  return { residuals, label };
}

/** A random head: orthonormal-ish bases via Gram–Schmidt so residuals are meaningful. */
export function randomHead(F: number, classes: number[], r: number, seed: number): SubspaceHead {
  return {
    classes,
    featureDim: F,
    means: classes.map((_, j) => randomArray(F, seed + 100 * j, 0.3)),
    bases: classes.map((_, j) => {
      const cols: Float64Array[] = [];
      for (let c = 0; c < r; c++) {
        const v = Float64Array.from(randomArray(F, seed + 100 * j + c + 1));
        for (const u of cols) {
          const dot = v.reduce((a, x, i) => a + x * u[i], 0);
          for (let i = 0; i < F; i++) v[i] -= dot * u[i];
        }
        const nrm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
        cols.push(v.map((x) => x / nrm));
      }
      const B = new Float32Array(F * r);
      for (let f = 0; f < F; f++) for (let c = 0; c < r; c++) B[f * r + c] = cols[c][f];
      return B;
    }),
  };
}
