// Class-incremental curriculum: which classes each task introduces.

export interface CurriculumOptions {
  numClasses: number;
  classesPerTask: number;
  /** class indices in the order they are learned (default natural order); may be a subset */
  order?: number[];
  /** keep only the first `tasks` tasks */
  tasks?: number;
}

/** Splits the class order into tasks of `classesPerTask` (the last may be smaller). Throws a readable message. */
export function buildCurriculum(o: CurriculumOptions): number[][] {
  const { numClasses, classesPerTask } = o;
  if (!Number.isInteger(classesPerTask) || classesPerTask < 1)
    throw new Error(`classes per task must be a positive integer, got ${classesPerTask}`);
  const order = o.order ?? Array.from({ length: numClasses }, (_, i) => i);
  const seen = new Set<number>();
  for (const c of order) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses)
      throw new Error(`class order: ${c} is not a class index of this dataset (0..${numClasses - 1})`);
    if (seen.has(c)) throw new Error(`class order: class ${c} appears twice`);
    seen.add(c);
  }
  if (order.length === 0) throw new Error('class order is empty');
  const tasks: number[][] = [];
  for (let i = 0; i < order.length; i += classesPerTask) tasks.push(order.slice(i, i + classesPerTask));
  if (o.tasks !== undefined) {
    if (!Number.isInteger(o.tasks) || o.tasks < 1) throw new Error(`--tasks must be a positive integer, got ${o.tasks}`);
    return tasks.slice(0, o.tasks);
  }
  return tasks;
}

/** Parses "3,1,2" or "3 1 2" into class indices. */
export function parseOrder(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const out = parts.map((p) => Number(p));
  if (out.some((v) => !Number.isInteger(v))) throw new Error(`--order must be comma-separated class indices, got '${text}'`);
  return out;
}
