// Over 400 lines on purpose: one learner (encoding, objective, L-BFGS, model JSON) whose parts share private types; split, each would export internals.
/**
 * L2-regularised logistic regression (binary) and ridge regression (regression), fitted by
 * full-batch L-BFGS on the penalised mean loss. Numeric features are standardised (mean/std are
 * stored in the model), binary features enter as-is, categorical codes are one-hot encoded.
 * Deterministic: no randomness, every sum in a fixed order.
 */
import * as z from 'zod';
import type { FeatureInfo, FeatureMatrix } from '../features/matrix';
import type { FittedModel, Task, TrainInput } from './types';

export interface LinearParams {
  /** Penalty (l2 / 2) * ||w||² added to the mean loss; the intercept is not penalised. @default 1e-4 */
  readonly l2: number;
  /** Upper bound on L-BFGS iterations. @default 200 */
  readonly maxIterations: number;
  /** Converged when every gradient component is below this (mean-loss scale). @default 1e-6 */
  readonly tolerance: number;
  /** Curvature pairs L-BFGS remembers. @default 10 */
  readonly memory: number;
}

/** Documented on each field of {@link LinearParams}. */
export const LINEAR_DEFAULTS: LinearParams = { l2: 1e-4, maxIterations: 200, tolerance: 1e-6, memory: 10 };

const paramsSchema = z.object({
  l2: z.number().min(0),
  maxIterations: z.number().int().min(1),
  tolerance: z.number().positive(),
  memory: z.number().int().min(1).max(100),
});

const encodingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('standardized'), mean: z.number(), std: z.number().positive() }),
  z.object({ kind: z.literal('binary') }),
  z.object({ kind: z.literal('onehot'), cardinality: z.number().int().min(1) }),
]);

export const linearModelJsonSchema = z.object({
  format: z.literal('linear/v1'),
  task: z.enum(['binary', 'regression']),
  featureNames: z.array(z.string()),
  encodings: z.array(encodingSchema),
  /** One weight per design column: one per numeric/binary feature, `cardinality` per categorical. */
  weights: z.array(z.number()),
  intercept: z.number(),
  params: paramsSchema,
  iterations: z.number().int().min(0),
  converged: z.boolean(),
  /** Penalised mean training loss at the solution. */
  trainObjective: z.number(),
});

export type LinearModelJson = z.infer<typeof linearModelJsonSchema>;
type Encoding = z.infer<typeof encodingSchema>;

/** Keeps a constant column's standardised value at 0 instead of dividing by zero. */
const MIN_STD = 1e-12;

function resolveParams(params: Partial<LinearParams> | undefined): LinearParams {
  const merged = { ...LINEAR_DEFAULTS, ...params };
  const unknown = Object.keys(params ?? {}).filter((key) => !Object.hasOwn(LINEAR_DEFAULTS, key));
  if (unknown.length > 0) {
    throw new Error(
      `linear: unknown parameter(s) ${unknown.join(', ')}; known: ${Object.keys(LINEAR_DEFAULTS).join(', ')}`,
    );
  }
  const parsed = paramsSchema.safeParse(merged);
  if (!parsed.success) {
    const name = String(parsed.error.issues[0].path[0]);
    const value = JSON.stringify((merged as Record<string, unknown>)[name]);
    throw new Error(`linear: parameter ${name}=${value} is invalid: ${parsed.error.issues[0].message}`);
  }
  return parsed.data;
}

function fitEncodings(matrix: FeatureMatrix): Encoding[] {
  return matrix.features.map((feature, f): Encoding => {
    if (feature.kind === 'binary') return { kind: 'binary' };
    if (feature.kind === 'categorical') {
      const cardinality = feature.cardinality;
      if (!cardinality || !Number.isInteger(cardinality) || cardinality < 1) {
        throw new Error(
          `linear: categorical feature "${feature.name}" has cardinality ${cardinality}; give a positive integer`,
        );
      }
      return { kind: 'onehot', cardinality };
    }
    const column = matrix.columns[f];
    let mean = 0;
    for (let r = 0; r < matrix.rowCount; r++) mean += column[r];
    mean /= matrix.rowCount;
    let variance = 0;
    for (let r = 0; r < matrix.rowCount; r++) variance += (column[r] - mean) ** 2;
    const std = Math.sqrt(variance / matrix.rowCount);
    return { kind: 'standardized', mean, std: std > MIN_STD ? std : 1 };
  });
}

function designOffsets(encodings: readonly Encoding[]): Int32Array {
  const offsets = new Int32Array(encodings.length + 1);
  encodings.forEach((encoding, f) => {
    offsets[f + 1] = offsets[f] + (encoding.kind === 'onehot' ? encoding.cardinality : 1);
  });
  return offsets;
}

/** Categorical codes as integers, checked once so the hot loops can index weights directly. */
function categoricalCodes(matrix: FeatureMatrix, encodings: readonly Encoding[]): (Int32Array | undefined)[] {
  return encodings.map((encoding, f) => {
    if (encoding.kind !== 'onehot') return undefined;
    const column = matrix.columns[f];
    const codes = new Int32Array(matrix.rowCount);
    for (let r = 0; r < matrix.rowCount; r++) {
      const code = column[r];
      if (!Number.isInteger(code) || code < 0 || code >= encoding.cardinality) {
        throw new Error(
          `linear: feature "${matrix.features[f].name}" row ${r} has code ${code}, outside [0, ${encoding.cardinality})`,
        );
      }
      codes[r] = code;
    }
    return codes;
  });
}

interface Objective {
  readonly dimension: number;
  /** Writes the gradient into `gradient` and returns the penalised mean loss; the last coordinate is the intercept. */
  evaluate(point: Float64Array, gradient: Float64Array): number;
}

function makeObjective(
  task: Task,
  matrix: FeatureMatrix,
  target: Float64Array,
  encodings: readonly Encoding[],
  l2: number,
): Objective {
  const n = matrix.rowCount;
  const offsets = designOffsets(encodings);
  const weightCount = offsets[encodings.length];
  const codes = categoricalCodes(matrix, encodings);
  const margins = new Float64Array(n);
  const residuals = new Float64Array(n);
  return {
    dimension: weightCount + 1,
    evaluate(point, gradient) {
      // Standardisation is folded into the weights: w * (x - mean) / std = (w / std) * x - w * mean / std.
      let constant = point[weightCount];
      margins.fill(0);
      encodings.forEach((encoding, f) => {
        const column = matrix.columns[f];
        const offset = offsets[f];
        if (encoding.kind === 'onehot') {
          const featureCodes = codes[f]!;
          for (let r = 0; r < n; r++) margins[r] += point[offset + featureCodes[r]];
          return;
        }
        const scale = encoding.kind === 'standardized' ? point[offset] / encoding.std : point[offset];
        if (encoding.kind === 'standardized') constant -= scale * encoding.mean;
        if (scale !== 0) for (let r = 0; r < n; r++) margins[r] += scale * column[r];
      });
      let loss = 0;
      let residualSum = 0;
      for (let r = 0; r < n; r++) {
        const margin = margins[r] + constant;
        let residual: number;
        if (task === 'binary') {
          // One exp serves both the stable log(1 + e^m) and the sigmoid.
          const e = Math.exp(-Math.abs(margin));
          loss += Math.max(margin, 0) + Math.log1p(e) - target[r] * margin;
          residual = (margin >= 0 ? 1 / (1 + e) : e / (1 + e)) - target[r];
        } else {
          residual = margin - target[r];
          loss += 0.5 * residual * residual;
        }
        residuals[r] = residual / n;
        residualSum += residual / n;
      }
      loss /= n;
      gradient.fill(0);
      encodings.forEach((encoding, f) => {
        const column = matrix.columns[f];
        const offset = offsets[f];
        if (encoding.kind === 'onehot') {
          const featureCodes = codes[f]!;
          for (let r = 0; r < n; r++) gradient[offset + featureCodes[r]] += residuals[r];
          return;
        }
        let dot = 0;
        for (let r = 0; r < n; r++) dot += residuals[r] * column[r];
        gradient[offset] = encoding.kind === 'standardized' ? (dot - encoding.mean * residualSum) / encoding.std : dot;
      });
      gradient[weightCount] = residualSum;
      let penalty = 0;
      for (let j = 0; j < weightCount; j++) {
        penalty += point[j] * point[j];
        gradient[j] += l2 * point[j];
      }
      return loss + 0.5 * l2 * penalty;
    },
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * b[i];
  return total;
}

function maxAbs(values: Float64Array): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

interface Solution {
  readonly point: Float64Array;
  readonly objective: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** Limited-memory BFGS with a backtracking (Armijo) line search. */
function minimizeLbfgs(
  objective: Objective,
  start: Float64Array,
  params: LinearParams,
  onIteration: (iteration: number, value: number) => void,
): Solution {
  const d = objective.dimension;
  let point = Float64Array.from(start);
  let gradient = new Float64Array(d);
  let value = objective.evaluate(point, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  const direction = new Float64Array(d);
  const alphas = new Float64Array(params.memory);
  const candidate = new Float64Array(d);
  let candidateGradient = new Float64Array(d);
  for (let iteration = 1; iteration <= params.maxIterations; iteration++) {
    if (maxAbs(gradient) < params.tolerance)
      return { point, objective: value, iterations: iteration - 1, converged: true };
    // Two-loop recursion: direction = -H * gradient.
    for (let i = 0; i < d; i++) direction[i] = -gradient[i];
    for (let k = steps.length - 1; k >= 0; k--) {
      alphas[k] = rhos[k] * dot(steps[k], direction);
      for (let i = 0; i < d; i++) direction[i] -= alphas[k] * changes[k][i];
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const scale = dot(steps[last], changes[last]) / dot(changes[last], changes[last]);
      for (let i = 0; i < d; i++) direction[i] *= scale;
    }
    for (let k = 0; k < steps.length; k++) {
      const beta = rhos[k] * dot(changes[k], direction);
      for (let i = 0; i < d; i++) direction[i] += (alphas[k] - beta) * steps[k][i];
    }
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction: forget the curvature history and use steepest descent.
      steps.length = 0;
      changes.length = 0;
      rhos.length = 0;
      for (let i = 0; i < d; i++) direction[i] = -gradient[i];
      slope = dot(gradient, direction);
    }
    let stepSize = steps.length === 0 ? Math.min(1, 1 / Math.max(maxAbs(gradient), 1e-12)) : 1;
    let candidateValue = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 40; attempt++) {
      for (let i = 0; i < d; i++) candidate[i] = point[i] + stepSize * direction[i];
      candidateValue = objective.evaluate(candidate, candidateGradient);
      if (candidateValue <= value + 1e-4 * stepSize * slope) break;
      stepSize *= 0.5;
    }
    if (!(candidateValue <= value)) return { point, objective: value, iterations: iteration, converged: false };
    const step = new Float64Array(d);
    const change = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      step[i] = candidate[i] - point[i];
      change[i] = candidateGradient[i] - gradient[i];
    }
    const curvature = dot(step, change);
    if (curvature > 1e-16) {
      if (steps.length === params.memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
      steps.push(step);
      changes.push(change);
      rhos.push(1 / curvature);
    }
    const previous = value;
    point = Float64Array.from(candidate);
    [gradient, candidateGradient] = [candidateGradient, gradient];
    value = candidateValue;
    onIteration(iteration, value);
    if (previous - value <= 1e-14 * Math.max(1, Math.abs(value))) {
      return { point, objective: value, iterations: iteration, converged: maxAbs(gradient) < params.tolerance * 10 };
    }
  }
  return { point, objective: value, iterations: params.maxIterations, converged: maxAbs(gradient) < params.tolerance };
}

function checkInput(input: TrainInput): void {
  const { train, trainTarget, task } = input;
  if (train.rowCount < 1) throw new Error('linear: the training set has no rows');
  if (trainTarget.length !== train.rowCount) {
    throw new Error(`linear: ${train.rowCount} training rows but ${trainTarget.length} targets`);
  }
  for (let i = 0; i < trainTarget.length; i++) {
    const y = trainTarget[i];
    if (task === 'binary' ? y !== 0 && y !== 1 : !Number.isFinite(y)) {
      throw new Error(
        `linear: training target ${y} at row ${i} is not ${task === 'binary' ? '0 or 1' : 'a finite number'}`,
      );
    }
  }
}

export function trainLinear(input: TrainInput, params?: Partial<LinearParams>): FittedModel<LinearModelJson> {
  const resolved = resolveParams(params);
  checkInput(input);
  const { task, train, trainTarget } = input;
  const encodings = fitEncodings(train);
  const objective = makeObjective(task, train, trainTarget, encodings, resolved.l2);
  // Start at the best constant model so the first steps only learn the features' effects.
  let mean = 0;
  for (let r = 0; r < trainTarget.length; r++) mean += trainTarget[r];
  mean /= trainTarget.length;
  const start = new Float64Array(objective.dimension);
  const clipped = Math.min(Math.max(mean, 1e-7), 1 - 1e-7);
  start[objective.dimension - 1] = task === 'binary' ? Math.log(clipped / (1 - clipped)) : mean;
  const solution = minimizeLbfgs(objective, start, resolved, (iteration, value) =>
    input.onProgress?.({
      learner: 'linear',
      iteration,
      total: resolved.maxIterations,
      validationMetric: value,
      metricName: 'train objective',
    }),
  );
  const weightCount = objective.dimension - 1;
  const json: LinearModelJson = {
    format: 'linear/v1',
    task,
    featureNames: train.features.map((feature) => feature.name),
    encodings,
    weights: Array.from(solution.point.subarray(0, weightCount)),
    intercept: solution.point[weightCount],
    params: { ...resolved },
    iterations: solution.iterations,
    converged: solution.converged,
    trainObjective: solution.objective,
  };
  return buildModel(json, train.features);
}

function buildModel(json: LinearModelJson, features: readonly FeatureInfo[]): FittedModel<LinearModelJson> {
  const { encodings, intercept } = json;
  const weights = Float64Array.from(json.weights);
  const offsets = designOffsets(encodings);
  const link = json.task === 'binary' ? (margin: number) => 1 / (1 + Math.exp(-margin)) : (margin: number) => margin;
  const featureCount = encodings.length;
  /** Contribution of feature f with value x; codes outside the training range contribute nothing. */
  const term = (f: number, x: number): number => {
    const encoding = encodings[f];
    const offset = offsets[f];
    if (encoding.kind === 'standardized') return (weights[offset] * (x - encoding.mean)) / encoding.std;
    if (encoding.kind === 'binary') return weights[offset] * x;
    return Number.isInteger(x) && x >= 0 && x < encoding.cardinality ? weights[offset + x] : 0;
  };
  return {
    kind: 'linear',
    json,
    features,
    predictRow(row) {
      let margin = intercept;
      for (let f = 0; f < featureCount; f++) margin += term(f, row[f]);
      return link(margin);
    },
    predictMatrix(matrix) {
      const margins = new Float64Array(matrix.rowCount).fill(intercept);
      for (let f = 0; f < featureCount; f++) {
        const column = matrix.columns[f];
        for (let r = 0; r < matrix.rowCount; r++) margins[r] += term(f, column[r]);
      }
      for (let r = 0; r < margins.length; r++) margins[r] = link(margins[r]);
      return margins;
    },
  };
}

/** Rebuilds a fitted model from its JSON; scores exactly (===) what the trained model scored. */
export function linearFromJson(json: unknown, features: readonly FeatureInfo[]): FittedModel<LinearModelJson> {
  const parsed = linearModelJsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`linear model json is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const model = parsed.data;
  const names = features.map((feature) => feature.name);
  if (names.length !== model.featureNames.length || names.some((name, i) => name !== model.featureNames[i])) {
    throw new Error(
      `linear model was trained on features [${model.featureNames.join(', ')}] but was given [${names.join(', ')}]; pass the model's own feature list`,
    );
  }
  if (model.encodings.length !== names.length) {
    throw new Error(`linear model json has ${model.encodings.length} encodings for ${names.length} features`);
  }
  const expectedWeights = designOffsets(model.encodings)[model.encodings.length];
  if (model.weights.length !== expectedWeights) {
    throw new Error(`linear model json has ${model.weights.length} weights; its encodings need ${expectedWeights}`);
  }
  return buildModel(model, features);
}
