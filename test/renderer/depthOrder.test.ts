import { describe, expect, it } from 'vitest';
import { DepthOrder } from '../../renderer/src/scenes/depthOrder';
import { mulberry32 } from '../../models/memory/random';

function cloud(n: number, seed = 1): { from: Float32Array; to: Float32Array; rgba: Uint8Array } {
  const rand = mulberry32(seed);
  const from = new Float32Array(n * 3);
  const to = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) {
    from[i] = rand() * 4 - 2;
    to[i] = rand() * 4 - 2;
  }
  const rgba = new Uint8Array(n * 4).fill(255);
  return { from, to, rgba };
}

/** view-space z (up to a constant) of point i for the view row v */
const depth = (from: Float32Array, to: Float32Array, mix: number, v: number[], i: number): number => {
  let d = 0;
  for (let k = 0; k < 3; k++) d += v[k] * (from[i * 3 + k] + (to[i * 3 + k] - from[i * 3 + k]) * mix);
  return d;
};

describe('depth order', () => {
  it('lists every visible point once, farthest (most negative view z) first', () => {
    const n = 5000;
    const { from, to, rgba } = cloud(n);
    const v = [0.3, -0.5, 0.81];
    const out = new Uint16Array(n);
    const m = new DepthOrder().order(n, from, to, 0.37, rgba, v[0], v[1], v[2], 0, out);
    expect(m).toBe(n);
    expect(new Set(out).size).toBe(n);
    // quantised to 1/65535 of the depth range: consecutive entries never go backwards by more than that
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const d = depth(from, to, 0.37, v, i);
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    const tol = (hi - lo) / 65535 + 1e-6;
    for (let k = 1; k < n; k++) expect(depth(from, to, 0.37, v, out[k])).toBeGreaterThanOrEqual(depth(from, to, 0.37, v, out[k - 1]) - tol);
    expect(out[0]).toBe([...Array(n).keys()].reduce((a, b) => (depth(from, to, 0.37, v, b) < depth(from, to, 0.37, v, a) ? b : a)));
  });

  it('leaves hidden points (alpha 0) out and keeps index order among equal depths', () => {
    const n = 6;
    const from = new Float32Array(n * 3);
    const to = new Float32Array(n * 3);
    // view along -z: depth is the z coordinate; points 1, 3 and 4 share a depth
    [0.5, -1, 2, -1, -1, 0.25].forEach((z, i) => {
      from[i * 3 + 2] = z;
      to[i * 3 + 2] = z;
    });
    const rgba = new Uint8Array(n * 4).fill(255);
    rgba[2 * 4 + 3] = 0; // point 2 hidden
    const out = new Uint32Array(n);
    const m = new DepthOrder().order(n, from, to, 1, rgba, 0, 0, 1, 0, out);
    expect(m).toBe(5);
    expect([...out.subarray(0, 5)]).toEqual([1, 3, 4, 5, 0]);
  });

  it('does no work when neither the view axis, the morph nor the version changed', () => {
    const n = 100;
    const { from, to, rgba } = cloud(n, 7);
    const out = new Uint16Array(n);
    const order = new DepthOrder();
    expect(order.order(n, from, to, 0.5, rgba, 0, 0, 1, 3, out)).toBe(n);
    expect(order.order(n, from, to, 0.5, rgba, 0, 0, 1, 3, out)).toBeNull();
    expect(order.order(n, from, to, 0.6, rgba, 0, 0, 1, 3, out)).toBe(n);
    expect(order.order(n, from, to, 0.6, rgba, 0, 0, 1, 4, out)).toBe(n);
    expect(order.order(n, from, to, 0.6, rgba, 0, 1, 0, 4, out)).toBe(n);
    order.invalidate();
    expect(order.order(n, from, to, 0.6, rgba, 0, 1, 0, 4, out)).toBe(n);
    expect(order.order(0, from, to, 0.6, rgba, 0, 1, 0, 5, out)).toBe(0);
  });
});
