/**
 * The decoded form every loader produces before the common conversion step (convert.ts, finalize.ts).
 * Images are channel-first (n, C, H, W), with values in [0, white].
 */
export interface RawImages {
  pixels: Uint8Array | Float32Array;
  n: number;
  shape: [number, number, number]; // [C, H, W]
  labels: Int32Array; // class index into RawSource.classNames
  /** The pixel value that means full intensity: 255 for uint8 data (even after resizing to float), 1 for floats. */
  white: number;
}

export interface RawSource {
  classNames: string[];
  /** A split given by the files (IDX, CIFAR), or one pool that is split by seed per class. */
  split: { train: RawImages; test: RawImages } | { pool: RawImages };
  /** What the files hold, e.g. "28x28 grayscale uint8". */
  describe: string;
  /** How [0, 1] was reached: e.g. "uint8/255" or "float32 0..255 /255"; finalize adds "*2-1". */
  valueMapping: string;
  /** Conversions the loader already applied (e.g. image folders resize on decode). */
  notes: string[];
}

export function channelWord(c: number): string {
  return c === 1 ? 'grayscale' : c === 3 ? 'RGB' : `${c}-channel`;
}

export function shapeWord(shape: readonly [number, number, number]): string {
  return `${shape[2]}x${shape[1]} ${channelWord(shape[0])}`;
}

/**
 * Maps arbitrary integer labels to class indices 0..K-1 in ascending label order (like np.unique), so a
 * label set such as {0, 2, 7} gives three classes and no empty ones.
 */
export function compactLabels(raw: ArrayLike<number>): { labels: Int32Array; values: number[] } {
  const values = [...new Set(Array.from(raw))].sort((a, b) => a - b);
  const index = new Map(values.map((v, i) => [v, i]));
  const labels = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) labels[i] = index.get(raw[i])!;
  return { labels, values };
}
