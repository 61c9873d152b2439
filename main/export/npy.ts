/**
 * NumPy .npy version 1.0 files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, then a Python-dict header padded with
 * spaces to a multiple of 64 bytes and ended by '\n', then the raw C-order data.
 */

export type NpyArray = { dtype: '<f4'; shape: number[]; data: Float32Array } | { dtype: '<i4'; shape: number[]; data: Int32Array };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(arr: NpyArray): Uint8Array {
  const size = arr.shape.reduce((a, b) => a * b, 1);
  if (size !== arr.data.length) throw new Error(`npy: shape [${arr.shape.join(', ')}] holds ${size} values, got ${arr.data.length}`);
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${arr.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('npy: header too long for version 1.0');
  const out = new Uint8Array(10 + header.length + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 10 + header.length);
  return out;
}

/** Parse a v1/v2 .npy of little-endian float32 or int32, C order; `file` names the source in errors. */
export function decodeNpy(bytes: Uint8Array, file = 'array.npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${file}: not a .npy file (bad magic)`);
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new Error(`${file}: truncated header`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${file}: unreadable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new Error(`${file}: Fortran-order arrays are not supported`);
  if (descr !== '<f4' && descr !== '<i4') throw new Error(`${file}: dtype ${descr} not supported (expected <f4 or <i4)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset !== size * 4) {
    throw new Error(`${file}: ${bytes.length - offset} data bytes, shape [${shape.join(', ')}] needs ${size * 4}`);
  }
  // an aligned copy: a Node Buffer's slice() is a view into a shared pool, so copy explicitly
  const owned = new Uint8Array(bytes.length - offset);
  owned.set(bytes.subarray(offset));
  const copy = owned.buffer;
  return descr === '<f4' ? { dtype: descr, shape, data: new Float32Array(copy) } : { dtype: descr, shape, data: new Int32Array(copy) };
}
