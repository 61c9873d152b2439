// The dataset as the engine sees it: an external source of images by class. The learner asks it for the current task's
// training images only; the evaluator asks it for test images (and, for the paper protocol, training images of seen
// classes). A watched folder can add classes: they are matched by name and appended, so class indices never shift.
import type { Dataset } from '../data/dataset';
import type { LabeledImages } from './evaluate';

export class DataSource {
  private trainIdx: number[][] = [];
  private testIdx: number[][] = [];
  readonly classNames: string[];
  readonly shape: [number, number, number];
  readonly imageSize: number;
  private parts: Dataset[] = [];
  /** per class: which part and which local class index */
  private where: { part: number; local: number }[] = [];

  constructor(ds: Dataset) {
    this.classNames = [];
    this.shape = ds.shape;
    this.imageSize = ds.shape[0] * ds.shape[1] * ds.shape[2];
    this.addPart(ds, ds.classNames.map((_, i) => i));
  }

  get numClasses(): number {
    return this.classNames.length;
  }

  private addPart(ds: Dataset, locals: number[]): number[] {
    const part = this.parts.length;
    this.parts.push(ds);
    const added: number[] = [];
    const byLocalTrain = groupBy(ds.train.y, ds.classNames.length);
    const byLocalTest = groupBy(ds.test.y, ds.classNames.length);
    for (const l of locals) {
      const g = this.classNames.length;
      this.classNames.push(ds.classNames[l]);
      this.where.push({ part, local: l });
      this.trainIdx.push(byLocalTrain[l]);
      this.testIdx.push(byLocalTest[l]);
      added.push(g);
    }
    return added;
  }

  /** Add the classes of `ds` whose names are new; returns their (global) indices. Shapes must match. */
  addNewClasses(ds: Dataset, only?: string[]): number[] {
    if (ds.shape.join() !== this.shape.join())
      throw new Error(`watched data: image shape [${ds.shape}] differs from the run's [${this.shape}]`);
    const known = new Set(this.classNames);
    const wanted = only ?? ds.classNames;
    const locals = wanted.filter((n) => !known.has(n)).map((n) => ds.classNames.indexOf(n)).filter((i) => i >= 0);
    return locals.length ? this.addPart(ds, locals) : [];
  }

  count(split: 'train' | 'test', cls: number): number {
    return (split === 'train' ? this.trainIdx : this.testIdx)[cls]?.length ?? 0;
  }

  /** A copy of the images of `classes` (global labels), at most `maxPerClass` per class (0 = all). */
  subset(split: 'train' | 'test', classes: number[], maxPerClass = 0): LabeledImages {
    const S = this.imageSize;
    const lists = classes.map((c) => {
      const idx = (split === 'train' ? this.trainIdx : this.testIdx)[c];
      if (!idx) throw new Error(`class ${c} is not in the dataset (0..${this.numClasses - 1})`);
      return maxPerClass > 0 ? idx.slice(0, maxPerClass) : idx;
    });
    const n = lists.reduce((a, l) => a + l.length, 0);
    const x = new Float32Array(n * S);
    const y = new Int32Array(n);
    let at = 0;
    classes.forEach((c, k) => {
      const ds = this.parts[this.where[c].part];
      const src = split === 'train' ? ds.train.x : ds.test.x;
      for (const i of lists[k]) {
        x.set(src.subarray(i * S, (i + 1) * S), at * S);
        y[at++] = c;
      }
    });
    return { x, y, n };
  }

  /** Raw training images of a class, for tests that check nothing of them is kept. */
  rawTrainImages(cls: number): Float32Array {
    return this.subset('train', [cls]).x;
  }
}

function groupBy(y: Int32Array, k: number): number[][] {
  const out: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < y.length; i++) out[y[i]]?.push(i);
  return out;
}
