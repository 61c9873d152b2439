/**
 * Diagnostics that show "learned subspaces" (CRATE_SPEC §6.2–6.4), host float64 on (n, F) row-major
 * Float32Array features. Callers subsample large sets: blockStats is O(n²·F).
 */
import { choleskyLower, halfLogdetFromCholesky } from '../losses/cholesky';
import { membersOf, rightSingular, rowMean, symEig } from './linalg';

/** Default rank rule: the number of singular values ≥ 1% of σ₁ (§6.3 leaves the threshold open). */
export const RANK_REL_THRESHOLD = 0.01;

/**
 * Energy rank: the fewest leading singular values whose squares hold `energy` (0–1] of Σσ². Unlike σ_i ≥ 1 % σ₁,
 * it still tells classes apart when features are spread over many directions with a slowly decaying spectrum.
 */
export function energyRank(sigma: ArrayLike<number>, energy: number): number {
  if (!(energy > 0 && energy <= 1)) throw new Error(`energyRank: energy must be in (0, 1], got ${energy}`);
  let total = 0;
  for (let i = 0; i < sigma.length; i++) total += sigma[i] * sigma[i];
  if (!(total > 0)) return 0;
  let acc = 0;
  for (let i = 0; i < sigma.length; i++) {
    acc += sigma[i] * sigma[i];
    // a relative tolerance so that energy = 1 is reached despite rounding
    if (acc >= energy * total * (1 - 1e-12)) return i + 1;
  }
  return sigma.length;
}

export interface ClassSpectra {
  classes: number[];
  /** All min(n_j, F) singular values of each (centred) class, descending. */
  sigma: Float64Array[];
  /** #{i : σ_i ≥ relThreshold·σ₁} per class (0 for an all-zero class). */
  rank: number[];
  rule: string;
}

/** Per-class PCA spectra and ranks (mcr2 plot_pca, LDR plot_pca: centred, like sklearn PCA). */
export function classRank(
  features: Float32Array,
  n: number,
  F: number,
  labels: Int32Array,
  classes: number[],
  opts: { relThreshold?: number; centre?: boolean; energy?: number } = {},
): ClassSpectra {
  checkSizes('classRank', features, n, F, labels);
  const rel = opts.relThreshold ?? RANK_REL_THRESHOLD;
  const energy = opts.energy;
  const centre = opts.centre ?? true;
  const sigma: Float64Array[] = [];
  const rank: number[] = [];
  for (const c of classes) {
    const rows = membersOf(labels, c);
    if (rows.length === 0) {
      sigma.push(new Float64Array(0));
      rank.push(0);
      continue;
    }
    const mean = centre ? rowMean(features, F, rows) : undefined;
    const s = rightSingular(features, F, rows, 1, mean).allSigma.slice(0, Math.min(rows.length, F));
    sigma.push(s);
    rank.push(s.length === 0 || s[0] === 0 ? 0 : energy !== undefined ? energyRank(s, energy) : s.filter((x) => x >= rel * s[0]).length);
  }
  const what = `${centre ? 'centred' : 'uncentred'} class features`;
  return { classes: [...classes], sigma, rank, rule: energy !== undefined ? `directions holding ${energy} of the energy Σσ² of the ${what}` : `σ_i ≥ ${rel}·σ₁ of the ${what}` };
}

export interface SubspaceAngles {
  /** k×k row-major: cos of the smallest principal angle = σ_max(U_iᵀU_j). */
  cosSmallest: Float64Array;
  /** k×k row-major: ‖U_iᵀU_j‖_F (0 = orthogonal subspaces, √r = identical). */
  overlap: Float64Array;
}

/** Principal angles between class bases (§6.4, i-CTRL utils.py subspace_dist). bases: (F, r) row-major. */
export function principalAngles(bases: readonly Float32Array[], F: number, r: number): SubspaceAngles {
  const k = bases.length;
  bases.forEach((b, i) => {
    if (b.length !== F * r) throw new Error(`principalAngles: bases[${i}] has ${b.length} values, expected F·r = ${F * r}`);
  });
  const cosSmallest = new Float64Array(k * k);
  const overlap = new Float64Array(k * k);
  const M = new Float64Array(r * r);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const A = bases[i];
      const B = bases[j];
      let fro = 0;
      for (let p = 0; p < r; p++) {
        for (let q = 0; q < r; q++) {
          let s = 0;
          for (let f = 0; f < F; f++) s += A[f * r + p] * B[f * r + q];
          M[p * r + q] = s;
          fro += s * s;
        }
      }
      // σ_max(M)² = λ_max(MᵀM)
      const mtm = new Float64Array(r * r);
      for (let p = 0; p < r; p++) {
        for (let q = 0; q < r; q++) {
          let s = 0;
          for (let t = 0; t < r; t++) s += M[t * r + p] * M[t * r + q];
          mtm[p * r + q] = s;
        }
      }
      const cos = Math.min(1, Math.sqrt(Math.max(symEig(mtm, r).values[0], 0)));
      cosSmallest[i * k + j] = cosSmallest[j * k + i] = cos;
      overlap[i * k + j] = overlap[j * k + i] = Math.sqrt(fro);
    }
  }
  return { cosSmallest, overlap };
}

/** R(Z_j, ε) = ½·logdet(I + F/(n_j·ε²)·Z_jᵀZ_j) per class, float64 (NaN for an empty class). */
export function classCodingRates(
  features: Float32Array,
  n: number,
  F: number,
  labels: Int32Array,
  classes: number[],
  eps2 = 0.5,
): Float64Array {
  checkSizes('classCodingRates', features, n, F, labels);
  if (!(eps2 > 0)) throw new Error(`classCodingRates: eps2 (ε²) must be positive, got ${eps2}`);
  return Float64Array.from(classes, (c) => {
    const rows = membersOf(labels, c);
    if (rows.length === 0) return Number.NaN;
    const nj = rows.length;
    const alpha = F / (nj * eps2);
    // Smaller Gram: n_j×n_j when n_j ≤ F (Sylvester).
    const s = Math.min(nj, F);
    const a = new Float64Array(s * s);
    if (nj <= F) {
      for (let p = 0; p < nj; p++)
        for (let q = 0; q <= p; q++) {
          let dot = 0;
          for (let f = 0; f < F; f++) dot += features[rows[p] * F + f] * features[rows[q] * F + f];
          a[p * s + q] = a[q * s + p] = alpha * dot;
        }
    } else {
      for (const i of rows)
        for (let p = 0; p < F; p++) {
          const zp = features[i * F + p];
          for (let q = 0; q <= p; q++) a[p * s + q] += alpha * zp * features[i * F + q];
        }
      for (let p = 0; p < F; p++) for (let q = 0; q < p; q++) a[q * s + p] = a[p * s + q];
    }
    for (let p = 0; p < s; p++) a[p * s + p] += 1;
    const l = choleskyLower(a, s);
    if (l === null) throw new Error(`classCodingRates: I + α·Gram of class ${c} is not positive definite (NaN features?)`);
    return halfLogdetFromCholesky(l, s);
  });
}

export interface BlockStats {
  /** Mean |z_iᵀz_j| over pairs i ≠ j of the same class. */
  within: number;
  /** Mean |z_iᵀz_j| over pairs of different classes. */
  between: number;
  classes: number[];
  /** k×k row-major mean |z_iᵀz_j| per class pair (diagonal excludes i = j): the §6.2 heatmap in blocks. */
  matrix: Float64Array;
}

/** Block statistics of |ZZᵀ| (§6.2): bright diagonal blocks and dark off-diagonal ones for an LDR. */
export function blockStats(features: Float32Array, n: number, F: number, labels: Int32Array): BlockStats {
  checkSizes('blockStats', features, n, F, labels);
  const classes = Array.from(new Set(labels)).sort((a, b) => a - b);
  const index = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const sum = new Float64Array(k * k);
  const cnt = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    const ci = index.get(labels[i]) as number;
    for (let j = i + 1; j < n; j++) {
      const cj = index.get(labels[j]) as number;
      let dot = 0;
      for (let f = 0; f < F; f++) dot += features[i * F + f] * features[j * F + f];
      const a = Math.abs(dot);
      sum[ci * k + cj] += a;
      cnt[ci * k + cj] += 1;
      if (ci !== cj) {
        sum[cj * k + ci] += a;
        cnt[cj * k + ci] += 1;
      }
    }
  }
  const matrix = Float64Array.from(sum, (s, e) => (cnt[e] > 0 ? s / cnt[e] : Number.NaN));
  let ws = 0;
  let wc = 0;
  let bs = 0;
  let bc = 0;
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      if (a === b) {
        ws += sum[a * k + a];
        wc += cnt[a * k + a];
      } else {
        bs += sum[a * k + b];
        bc += cnt[a * k + b];
      }
    }
  return { within: wc > 0 ? ws / wc : Number.NaN, between: bc > 0 ? bs / bc : Number.NaN, classes, matrix };
}

function checkSizes(fn: string, features: Float32Array, n: number, F: number, labels: Int32Array): void {
  if (features.length !== n * F) {
    throw new Error(`${fn}: features has ${features.length} values, expected n·F = ${n}·${F} = ${n * F}`);
  }
  if (labels.length !== n) throw new Error(`${fn}: labels has length ${labels.length} but there are ${n} samples`);
}
