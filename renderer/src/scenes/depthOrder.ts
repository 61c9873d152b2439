/**
 * Back-to-front draw order for the point cloud, so the canvas needs no depth buffer.
 *
 * A point sprite is drawn at one depth, its centre's view-space z, so painting the points from the
 * farthest to the nearest gives the picture a depth test would give, and lets the disc rims blend
 * smoothly over what lies behind them (with a depth test, blended rims would show the background
 * wherever a farther point is drawn later). 10,000 points take a few tenths of a millisecond here.
 *
 * The order depends only on the camera's forward axis (view z = row 2 of the view matrix · p plus a
 * constant), so it is recomputed only when that axis, the morph or the points change. The sort is a
 * two-pass LSD radix sort on a 16-bit quantised depth: linear time, stable (ties keep index order),
 * and no allocation once the buffers have grown to the cloud's size.
 */
export class DepthOrder {
  private z = new Float32Array(0);
  private keys = new Uint16Array(0);
  private tmp = new Uint32Array(0);
  private readonly count = new Uint32Array(256);
  private last = { x: Number.NaN, y: Number.NaN, z: Number.NaN, mix: Number.NaN, version: -1 };

  /**
   * Writes the indices of the visible points (alpha byte ≠ 0 in `rgba`), farthest first, into `out`
   * and returns how many there are; null when nothing changed since the last call, so `out` is
   * still valid. (vx, vy, vz) is the view matrix's third row (elements 2, 6, 10 of
   * camera.matrixWorldInverse); `version` must change whenever positions or visibility do.
   */
  order(
    n: number,
    from: Float32Array,
    to: Float32Array,
    mix: number,
    rgba: Uint8Array,
    vx: number,
    vy: number,
    vz: number,
    version: number,
    out: Uint16Array | Uint32Array,
  ): number | null {
    const l = this.last;
    if (l.x === vx && l.y === vy && l.z === vz && l.mix === mix && l.version === version) return null;
    l.x = vx;
    l.y = vy;
    l.z = vz;
    l.mix = mix;
    l.version = version;
    if (this.z.length < n) {
      this.z = new Float32Array(n);
      this.keys = new Uint16Array(n);
      this.tmp = new Uint32Array(n);
    }
    const z = this.z;
    const keys = this.keys;
    const tmp = this.tmp;
    // view-space z (up to a constant) of every visible point, where it is drawn now
    let m = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (rgba[i * 4 + 3] === 0) continue;
      const j = i * 3;
      const x = from[j] + (to[j] - from[j]) * mix;
      const y = from[j + 1] + (to[j + 1] - from[j + 1]) * mix;
      const w = from[j + 2] + (to[j + 2] - from[j + 2]) * mix;
      const d = vx * x + vy * y + vz * w;
      z[m] = d;
      tmp[m] = i;
      m++;
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    if (m === 0) return 0;
    // ascending view z = farthest first (the camera looks down -z); NaN positions sort first
    const scale = hi > lo ? 65535 / (hi - lo) : 0;
    for (let k = 0; k < m; k++) {
      const q = (z[k] - lo) * scale;
      keys[tmp[k]] = q > 0 ? Math.min(65535, q) : 0;
    }
    // pass 1: low byte, tmp → out; pass 2: high byte, out → tmp; then copy
    const count = this.count;
    this.pass(tmp, out, m, keys, 0, count);
    this.pass(out, tmp, m, keys, 8, count);
    for (let k = 0; k < m; k++) out[k] = tmp[k];
    return m;
  }

  /** Forces the next order() call to recompute (e.g. after the buffers were rewritten in place). */
  invalidate(): void {
    this.last.version = -1;
  }

  private pass(src: ArrayLike<number>, dst: Uint16Array | Uint32Array, m: number, keys: Uint16Array, shift: number, count: Uint32Array): void {
    count.fill(0);
    for (let k = 0; k < m; k++) count[(keys[src[k]] >> shift) & 255]++;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let k = 0; k < m; k++) {
      const i = src[k];
      dst[count[(keys[i] >> shift) & 255]++] = i;
    }
  }
}
