// A seeded generator whose whole state is one 32-bit integer, so a checkpoint can store it and a resumed run draws the
// same batches as an uninterrupted one (mulberry32).
export class EngineRng {
  private s: number;
  constructor(seed: number) {
    // spread small seeds over the state space (splitmix32-style finaliser)
    let x = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    this.s = (x ^ (x >>> 16)) >>> 0;
  }
  static fromState(state: number): EngineRng {
    const r = new EngineRng(0);
    r.s = state >>> 0;
    return r;
  }
  get state(): number {
    return this.s;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer seed for a sub-generator (model init, memory sampling). */
  nextSeed(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** A seed derived from several integers (FNV-1a style): the batch order of (task, phase, epoch), a class's memory, … */
export function hashSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h ^= x & 0xffffffff;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}
