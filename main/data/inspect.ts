/**
 * `data inspect`: what a dataset spec yields — classes, per-class counts, shape, value range, the
 * conversion applied — and a PNG grid of training samples (one row per class).
 */
import { PNG } from 'pngjs';
import type { DataInspectResult } from '../../preload/api';
import type { Dataset, LoadOptions } from './dataset';
import { loadDataset } from './dataset';

export interface GridOptions {
  /** Samples shown per class (one row per class). Default 8. */
  samplesPerClass?: number;
  /** Integer upscaling of each sample. Default 2. */
  scale?: number;
}

export interface InspectOptions extends LoadOptions, GridOptions {
  /** Include the sample grid as a data: URL. */
  grid?: boolean;
}

const GAP = 2; // pixels between cells, in output pixels
const BACKGROUND = 48; // dark gray, distinct from the black (-1) of most digits' background

/** Renders the first `samplesPerClass` training images of each class as a PNG. */
export function renderSampleGrid(ds: Dataset, opts: GridOptions = {}): Buffer {
  const scale = opts.scale ?? 2;
  const [C, H, W] = ds.shape;
  const K = ds.classNames.length;
  const perClass = new Array<number>(K).fill(0);
  for (const k of ds.train.y) perClass[k]++;
  const per = Math.max(1, Math.min(opts.samplesPerClass ?? 8, Math.max(...perClass))); // no empty columns
  const cellW = W * scale;
  const cellH = H * scale;
  const width = per * cellW + (per + 1) * GAP;
  const height = K * cellH + (K + 1) * GAP;
  const png = new PNG({ width, height });
  png.data.fill(BACKGROUND);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  const shown = new Array<number>(K).fill(0);
  const plane = H * W;
  const sz = C * plane;
  const { x, y, n } = ds.train;
  for (let i = 0; i < n; i++) {
    const k = y[i];
    if (shown[k] >= per) continue;
    const col = shown[k]++;
    const ox = GAP + col * (cellW + GAP);
    const oy = GAP + k * (cellH + GAP);
    for (let py = 0; py < cellH; py++) {
      for (let px = 0; px < cellW; px++) {
        const src = i * sz + Math.floor(py / scale) * W + Math.floor(px / scale);
        const o = 4 * ((oy + py) * width + ox + px);
        for (let ch = 0; ch < 3; ch++) {
          const v = x[src + (C === 3 ? ch * plane : 0)];
          png.data[o + ch] = Math.round(((v + 1) / 2) * 255);
        }
      }
    }
  }
  return PNG.sync.write(png);
}

export function summarizeDataset(ds: Dataset, opts: GridOptions & { grid?: boolean } = {}): DataInspectResult {
  const counts = ds.classNames.map(() => ({ train: 0, test: 0 }));
  for (const k of ds.train.y) counts[k].train++;
  for (const k of ds.test.y) counts[k].test++;
  let min = Infinity;
  let max = -Infinity;
  for (const xs of [ds.train.x, ds.test.x]) {
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] < min) min = xs[i];
      if (xs[i] > max) max = xs[i];
    }
  }
  const result: DataInspectResult = {
    spec: ds.spec,
    classes: ds.classNames.slice(),
    counts,
    shape: [ds.shape[0], ds.shape[1], ds.shape[2]],
    range: [min, max],
    conversion: ds.conversion,
  };
  if (opts.grid) result.gridPng = `data:image/png;base64,${renderSampleGrid(ds, opts).toString('base64')}`;
  return result;
}

export async function inspectDataset(spec: string, opts: InspectOptions = {}): Promise<DataInspectResult> {
  return summarizeDataset(await loadDataset(spec, opts), opts);
}
