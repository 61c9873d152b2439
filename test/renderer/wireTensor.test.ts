import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeWireTensor, encodeWireTensor } from '../../renderer/src/lib/wireTensor';

describe('WireTensor', () => {
  it('decodes known little-endian float32 bytes', () => {
    // 1.0 = 0x3f800000 → bytes 00 00 80 3f; -2.0 = 0xc0000000 → 00 00 00 c0
    const t = decodeWireTensor({ shape: [2], b64: 'AACAPwAAAMA=' });
    expect(t.shape).toEqual([2]);
    expect(Array.from(t.data)).toEqual([1, -2]);
  });

  it('round-trips through base64 for every padding length', () => {
    for (const len of [0, 1, 2, 3, 4, 5, 31]) {
      const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 73 + 11) & 255);
      expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
    }
  });

  it('round-trips a tensor exactly, including negative zero, subnormals and extremes', () => {
    const data = Float32Array.from([0, -0, 1.5, -3.25, 1e-40, 3.4e38, -1, 0.1]);
    const back = decodeWireTensor(encodeWireTensor(data, [2, 4]));
    expect(back.shape).toEqual([2, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(Object.is(back.data[1], -0)).toBe(true);
  });

  it('names the shape and byte counts when they disagree', () => {
    expect(() => decodeWireTensor({ shape: [3], b64: 'AACAPw==' }, 'features')).toThrow('features: shape [3] needs 12 bytes, got 4');
  });

  it('rejects characters outside base64', () => {
    expect(() => base64ToBytes('AA*A')).toThrow("invalid character '*'");
  });
});
