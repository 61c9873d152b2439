/**
 * Reconstructions for the report: x̂ = g(z) of a few memory features per class, decoded by the run's newest checkpoint,
 * as one PNG strip per class (data URL). Small by design: at most 8 images per class, read once.
 */
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { decode } from '../../../models/crate/decoder';
import { readLatestCheckpoint } from '../../store/checkpoints';
import type { RunJson } from '../../store/runFiles';
import { crateConfigOf, paramsOf } from '../checkpointParams';

const PER_CLASS = 8;

/** (n, C, H, W) in [-1, 1] → one PNG strip of n images side by side, 1 px gap. Grey for C = 1, RGB for C = 3. */
export function imagesToPngStrip(x: Float32Array, n: number, c: number, h: number, w: number): string {
  const width = n * (w + 1) - 1;
  const png = new PNG({ width, height: h });
  png.data.fill(255);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        const o = (y * width + i * (w + 1) + xx) * 4;
        for (let k = 0; k < 3; k++) {
          const ch = c >= 3 ? k : 0;
          const v = x[((i * c + ch) * h + y) * w + xx];
          png.data[o + k] = Math.round(Math.max(0, Math.min(1, (v + 1) / 2)) * 255);
        }
        png.data[o + 3] = 255;
      }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

export async function reconstructionStrips(runDir: string, run: RunJson): Promise<{ cls: number; name: string; png: string; note: string }[]> {
  const ck = readLatestCheckpoint(runDir);
  if (!ck) return [];
  const cfg = crateConfigOf(run, ck.payload.state, ck.dir);
  const t = ck.payload.tensors;
  const dec = paramsOf(t, 'dec/', ck.dir);
  try {
    const out: { cls: number; name: string; png: string; note: string }[] = [];
    const classes = [...t.keys()]
      .map((k) => /^mem\/(\d+)\/z$/.exec(k)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const [c, h, w] = cfg.imageShape;
    for (const cls of classes) {
      const z = t.get(`mem/${cls}/z`)!;
      const n = Math.min(PER_CLASS, z.shape[0]);
      if (n === 0) continue;
      const x = tf.tidy(() => decode(dec, cfg, tf.tensor2d((z.data as Float32Array).subarray(0, n * cfg.featureDim), [n, cfg.featureDim])));
      const data = (await x.data()) as Float32Array; // one read per class, report time only
      x.dispose();
      out.push({ cls, name: run.data.classNames[cls] ?? `class ${cls}`, png: imagesToPngStrip(data, n, c, h, w), note: `g(z) of ${n} memory rows, step ${ck.payload.step}` });
    }
    return out;
  } finally {
    for (const v of dec.values()) v.dispose();
  }
}
