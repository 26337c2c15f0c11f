import type { FeatureInfo, FeatureMatrix } from '../../../core/features/matrix';
import type { Task, TrainInput } from '../../../core/learners/types';

/** A small seeded generator so test data never depends on Math.random. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function matrixFrom(features: FeatureInfo[], rows: number[][]): FeatureMatrix {
  const columns = features.map((_, f) => Float64Array.from(rows, (row) => row[f]));
  return { features, columns, rowCount: rows.length };
}

export function rowOf(matrix: FeatureMatrix, r: number): Float64Array {
  return Float64Array.from(matrix.columns, (column) => column[r]);
}

export interface Problem {
  matrix: FeatureMatrix;
  target: Float64Array;
}

/** Builds rows with `makeRow` and labels with `label`, from a seeded generator. */
export function makeProblem(
  features: FeatureInfo[],
  count: number,
  seed: number,
  makeRow: (uniform: () => number) => number[],
  label: (row: number[], uniform: () => number) => number,
): Problem {
  const uniform = seededUniform(seed);
  const rows: number[][] = [];
  const target = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const row = makeRow(uniform);
    rows.push(row);
    target[i] = label(row, uniform);
  }
  return { matrix: matrixFrom(features, rows), target };
}

export function trainInput(task: Task, train: Problem, validation: Problem, seed = 7): TrainInput {
  return {
    task,
    train: train.matrix,
    trainTarget: train.target,
    validation: validation.matrix,
    validationTarget: validation.target,
    seed,
  };
}

export const twoNumeric: FeatureInfo[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'y', kind: 'numeric' },
];

/** XOR-like: positive when x and y have the same sign; no linear model can separate it. */
export function xorProblem(count: number, seed: number): Problem {
  return makeProblem(
    twoNumeric,
    count,
    seed,
    (uniform) => [uniform() * 2 - 1, uniform() * 2 - 1],
    ([x, y], uniform) => (x * y > 0 ? (uniform() < 0.95 ? 1 : 0) : uniform() < 0.05 ? 1 : 0),
  );
}
