// A run needs at least two classes: a one-class dataset is refused with a message that says so and names the dataset,
// before any run folder is written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createRun } from '../../main/engine/session';
import { UsageError } from '../../main/engine/sessionErrors';
import { tempRoot, TINY_RECIPE, TINY_REQUEST, tinyDeps } from './helpers';

const root = tempRoot('rules');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('dataset rules of a run', () => {
  it('refuses a dataset with one class, naming it, and writes no run', async () => {
    const data = path.join(root, 'data', 'only-cats');
    fs.mkdirSync(path.join(data, 'cat'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      const png = new PNG({ width: 8, height: 8 });
      png.data.fill(20 * i);
      fs.writeFileSync(path.join(data, 'cat', `${i}.png`), PNG.sync.write(png));
    }
    const runs = path.join(root, 'runs');
    const { deps } = await tinyDeps(runs);
    const err = await createRun(deps, { req: { ...TINY_REQUEST, data: `folder:${data}` }, recipe: TINY_RECIPE }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`folder:${data}: only one class (cat); class-incremental learning needs at least 2 classes (a single new class can be added to a finished run with --from RUN)`);
    expect(fs.readdirSync(runs).filter((n) => /^\d{8}-/.test(n))).toEqual([]);
  });
});
