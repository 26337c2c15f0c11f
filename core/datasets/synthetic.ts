/**
 * A seeded benchmark data set: mostly numeric features, one binary, a few categorical codes, and
 * a non-linear target with interactions and noise. Used by the learner tests and benchmarks, and
 * written as CSV so peers (XGBoost) train on exactly the same rows.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { FeatureInfo, FeatureMatrix } from '../features/matrix';
import type { Task } from '../learners/types';
import { createRandom } from './random';

export interface SyntheticOptions {
  readonly rows: number;
  /** Total number of features; the first 20 carry the structure below, extra ones are pure noise. @default 20 */
  readonly features?: number;
  readonly seed: number;
  readonly task: Task;
}

export interface SyntheticData {
  readonly matrix: FeatureMatrix;
  /** Binary: 0/1 drawn from `signal`. Regression: `signal` plus Gaussian noise (sd 1). */
  readonly target: Float64Array;
  /** The noise-free truth: P(y = 1) for binary, E[y] for regression (gives the Bayes-optimal score). */
  readonly signal: Float64Array;
}

/** Values are rounded to this many decimals so a CSV round trip is exact and files stay small. */
const DECIMALS = 1e4;
const NUMERIC_COUNT = 16;
const BINARY_INDEX = 16;
/** Cardinalities of features 17, 18, 19. Effects grow with the code, so codes are ordered by target mean. */
const CATEGORICAL_CARDINALITIES = [4, 8, 16] as const;
/** Scales the logit so the Bayes AUC lands near 0.87. */
const LOGIT_SCALE = 1.1;

function round(value: number): number {
  return Math.round(value * DECIMALS) / DECIMALS;
}

export function syntheticFeatures(count = 20): FeatureInfo[] {
  const features: FeatureInfo[] = [];
  for (let f = 0; f < count; f++) {
    const name = `f${f}`;
    const categoricalIndex = f - BINARY_INDEX - 1;
    if (f < NUMERIC_COUNT || f >= 20) features.push({ name, kind: 'numeric' });
    else if (f === BINARY_INDEX) features.push({ name, kind: 'binary' });
    else features.push({ name, kind: 'categorical', cardinality: CATEGORICAL_CARDINALITIES[categoricalIndex] });
  }
  return features;
}

export function generateSynthetic(options: SyntheticOptions): SyntheticData {
  const { rows, seed, task } = options;
  const featureCount = options.features ?? 20;
  if (!Number.isInteger(rows) || rows < 1)
    throw new Error(`generateSynthetic: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new Error(`generateSynthetic: features must be a positive integer, got ${featureCount}`);
  }
  const random = createRandom(seed);
  const uniform = random.next;
  const features = syntheticFeatures(featureCount);
  const columns = features.map(() => new Float64Array(rows));
  const target = new Float64Array(rows);
  const signal = new Float64Array(rows);
  // Missing structural features (fewer than 20 requested) read as 0 and drop out of the formula.
  const value = new Float64Array(Math.max(20, featureCount));
  for (let r = 0; r < rows; r++) {
    value.fill(0);
    for (let f = 0; f < featureCount; f++) {
      const kind = features[f].kind;
      let x: number;
      if (kind === 'numeric') x = f % 4 === 3 ? round(uniform() * 4 - 2) : round(random.normal());
      else if (kind === 'binary') x = uniform() < 0.35 ? 1 : 0;
      else x = Math.floor(uniform() * (features[f].cardinality ?? 1));
      value[f] = x;
      columns[f][r] = x;
    }
    const v = value;
    const structure =
      0.9 * v[0] -
      0.7 * v[1] +
      1.1 * v[2] * v[3] +
      0.8 * Math.sin(2 * v[4]) +
      (v[5] > 0.5 ? 0.7 : -0.3) +
      0.4 * (v[6] * v[6] - 1) -
      0.5 * Math.abs(v[7]) +
      0.6 * v[16] * v[8] +
      (featureCount > 17 ? 0.25 * v[17] - 0.375 : 0) +
      (featureCount > 18 ? 0.12 * v[18] - 0.42 : 0) +
      (featureCount > 19 ? 0.6 * Math.sqrt(v[19] / 15) - 0.4 : 0) +
      (v[9] > 0 && v[10] > 0 ? 0.6 : 0);
    if (task === 'binary') {
      const probability = 1 / (1 + Math.exp(-LOGIT_SCALE * structure));
      signal[r] = probability;
      target[r] = uniform() < probability ? 1 : 0;
    } else {
      signal[r] = structure;
      target[r] = round(structure + random.normal());
    }
  }
  return { matrix: { features, columns, rowCount: rows }, target, signal };
}

/** Writes `f0..fN,target` as CSV (header first). Values are written exactly as stored. */
export function writeSyntheticCsv(path: string, matrix: FeatureMatrix, target: Float64Array): void {
  const handle = openSync(path, 'w');
  try {
    const header = [...matrix.features.map((feature) => feature.name), 'target'].join(',');
    writeSync(handle, `${header}\n`);
    const chunkRows = 20000;
    for (let start = 0; start < matrix.rowCount; start += chunkRows) {
      const end = Math.min(matrix.rowCount, start + chunkRows);
      const lines: string[] = [];
      for (let r = start; r < end; r++) {
        let line = '';
        for (const column of matrix.columns) line += `${column[r]},`;
        lines.push(line + target[r]);
      }
      writeSync(handle, `${lines.join('\n')}\n`);
    }
  } finally {
    closeSync(handle);
  }
}
