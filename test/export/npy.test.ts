// NPY v1 writer/reader: header layout per the NumPy format spec, round trips, and readable errors for broken files.
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../main/export/npy';

describe('npy', () => {
  it('writes a v1.0 header padded to 64 bytes, ending in a newline', () => {
    const bytes = encodeNpy({ dtype: '<f4', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8] | (bytes[9] << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + hlen));
    expect(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(header.endsWith('\n')).toBe(true);
    expect(bytes.length).toBe(10 + hlen + 24);
    expect(new Float32Array(bytes.slice(10 + hlen).buffer)).toEqual(Float32Array.of(1, 2, 3, 4, 5, 6));
  });

  it('round-trips float32 and int32, including 1-D and empty shapes', () => {
    const f = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 1e3);
    const back = decodeNpy(encodeNpy({ dtype: '<f4', shape: [2, 3, 4], data: f }));
    expect(back).toEqual({ dtype: '<f4', shape: [2, 3, 4], data: f });
    const i = Int32Array.of(-5, 0, 7, 2 ** 31 - 1);
    expect(decodeNpy(encodeNpy({ dtype: '<i4', shape: [4], data: i }))).toEqual({ dtype: '<i4', shape: [4], data: i });
    expect(decodeNpy(encodeNpy({ dtype: '<f4', shape: [0, 5], data: new Float32Array(0) })).shape).toEqual([0, 5]);
    // a small Node Buffer (as fs.readFileSync returns) is a view into a shared pool: the data must still come back alone
    const pooled = Buffer.from(encodeNpy({ dtype: '<i4', shape: [2], data: Int32Array.of(4, 2) }));
    expect(decodeNpy(pooled)).toEqual({ dtype: '<i4', shape: [2], data: Int32Array.of(4, 2) });
  });

  it('rejects a wrong size, bad magic, unsupported dtype and truncated data with the file name', () => {
    expect(() => encodeNpy({ dtype: '<f4', shape: [3], data: new Float32Array(2) })).toThrow(/shape \[3\] holds 3 values, got 2/);
    expect(() => decodeNpy(new Uint8Array(20), 'x.npy')).toThrow(/x\.npy: not a \.npy file/);
    const ok = encodeNpy({ dtype: '<f4', shape: [4], data: new Float32Array(4) });
    expect(() => decodeNpy(ok.subarray(0, ok.length - 1), 'cut.npy')).toThrow(/cut\.npy: 15 data bytes, shape \[4\] needs 16/);
    const f8 = new Uint8Array(ok);
    const text = new TextDecoder().decode(f8.subarray(10, 30)).replace('<f4', '<f8');
    f8.set(new TextEncoder().encode(text), 10);
    expect(() => decodeNpy(f8, 'f8.npy')).toThrow(/f8\.npy: dtype <f8 not supported/);
  });

  it('parses a file written by NumPy itself', () => {
    // np.save of np.arange(3, dtype='<i4'): NumPy ≥ 1.x header bytes
    const header = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = header + ' '.repeat(pad) + '\n';
    const bytes = new Uint8Array(10 + h.length + 12);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 255, h.length >> 8]);
    bytes.set(new TextEncoder().encode(h), 10);
    bytes.set(new Uint8Array(Int32Array.of(0, 1, 2).buffer), 10 + h.length);
    expect(decodeNpy(bytes)).toEqual({ dtype: '<i4', shape: [3], data: Int32Array.of(0, 1, 2) });
  });
});
