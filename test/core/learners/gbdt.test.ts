import { treeShapExplainer } from '../../../core/explain/tree-shap';
import type { FeatureInfo } from '../../../core/features/matrix';
import { type GbdtModelJson, gbdtFromJson, MIN_ROWS_FOR_WORKER, trainGbdt } from '../../../core/learners/gbdt';
import { binMatrix, binOf, computeCuts } from '../../../core/learners/gbdt-binning';
import type { ProgressListener } from '../../../core/learners/types';
import { auc, rmse } from '../../../core/metrics';
import { makeProblem, matrixFrom, rowOf, trainInput, twoNumeric, xorProblem } from './helpers';

const SMALL = { nEstimators: 40, maxDepth: 4, earlyStoppingRounds: 0 };

describe('trainGbdt on a binary task', () => {
  const train = xorProblem(3000, 1);
  const validation = xorProblem(1000, 2);
  const model = trainGbdt(trainInput('binary', train, validation), SMALL);

  it('learns an XOR-like function a linear score cannot rank', () => {
    // Given an XOR problem, when scored by the boosted trees
    const scores = model.predictMatrix(validation.matrix);
    // Then AUC is near the 0.95 ceiling, while x + y (any linear score) stays near 0.5
    expect(auc(scores, validation.target)).toBeGreaterThan(0.9);
    const linear = Float64Array.from({ length: validation.matrix.rowCount }, (_, r) => {
      return validation.matrix.columns[0][r] + validation.matrix.columns[1][r];
    });
    expect(auc(linear, validation.target)).toBeLessThan(0.6);
  });

  it('returns probabilities in (0, 1)', () => {
    const scores = model.predictMatrix(validation.matrix);
    expect(Math.min(...scores)).toBeGreaterThan(0);
    expect(Math.max(...scores)).toBeLessThan(1);
  });

  it('scores a row with predictRow exactly as predictMatrix does', () => {
    const scores = model.predictMatrix(validation.matrix);
    for (let r = 0; r < 50; r++) expect(model.predictRow(rowOf(validation.matrix, r))).toBe(scores[r]);
  });

  it('produces byte-identical JSON when trained twice on the same input', () => {
    const again = trainGbdt(trainInput('binary', train, validation), SMALL);
    expect(JSON.stringify(again.json)).toBe(JSON.stringify(model.json));
  });

  it('rebuilds from its JSON a model that scores exactly the same', () => {
    // Given the model's JSON after a round trip through text
    const rebuilt = gbdtFromJson(JSON.parse(JSON.stringify(model.json)), model.features);
    // Then every score is identical
    const expected = model.predictMatrix(validation.matrix);
    const actual = rebuilt.predictMatrix(validation.matrix);
    expect(Array.from(actual)).toEqual(Array.from(expected));
    expect(rebuilt.predictRow(rowOf(validation.matrix, 3))).toBe(model.predictRow(rowOf(validation.matrix, 3)));
  });

  it('stores split thresholds as real feature values', () => {
    const thresholds = model.json.trees[0].threshold.filter((_, n) => model.json.trees[0].left[n] >= 0);
    expect(thresholds.length).toBeGreaterThan(0);
    for (const threshold of thresholds) expect(Math.abs(threshold)).toBeLessThanOrEqual(1);
  });
});

describe('early stopping', () => {
  it('stops once the validation loss stops improving and keeps only the best rounds', () => {
    // Given pure noise labels, where every tree after the first few overfits
    const noise = (seed: number) =>
      makeProblem(
        twoNumeric,
        1500,
        seed,
        (u) => [u(), u()],
        (_row, u) => (u() < 0.5 ? 1 : 0),
      );
    // When trained with patience 5 out of 300 rounds
    const model = trainGbdt(trainInput('binary', noise(3), noise(4)), { nEstimators: 300, earlyStoppingRounds: 5 });
    // Then it stopped early and kept the best iteration's trees
    expect(model.json.iterationsTrained).toBeLessThan(300);
    expect(model.json.iterationsTrained - model.json.bestIteration).toBe(5);
    expect(model.json.trees).toHaveLength(model.json.bestIteration);
  });

  it('reports progress every iteration with the validation metric', () => {
    const events: Parameters<ProgressListener>[0][] = [];
    const input = {
      ...trainInput('binary', xorProblem(500, 5), xorProblem(200, 6)),
      onProgress: ((event) => {
        events.push(event);
      }) as ProgressListener,
    };
    trainGbdt(input, { nEstimators: 7, earlyStoppingRounds: 0 });
    expect(events.map((event) => event.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events[6]).toMatchObject({ learner: 'gbdt', total: 7, metricName: 'logloss' });
    expect(events[6].validationMetric).toBeLessThan(events[0].validationMetric!);
  });
});

describe('trainGbdt on a regression task', () => {
  const features: FeatureInfo[] = [{ name: 'x', kind: 'numeric' }];
  const make = (seed: number) =>
    makeProblem(
      features,
      2000,
      seed,
      (u) => [u() * 6 - 3],
      ([x], u) => Math.sin(x) * 3 + (u() - 0.5) * 0.2,
    );

  it('fits a non-linear curve to within the noise level', () => {
    const train = make(1);
    const validation = make(2);
    const model = trainGbdt(trainInput('regression', train, validation), { nEstimators: 200 });
    // Noise is uniform on ±0.1 (sd ~0.058); sin(x)*3 has sd ~2.
    expect(rmse(model.predictMatrix(validation.matrix), validation.target)).toBeLessThan(0.15);
    expect(model.json.validation?.metric).toBe('rmse');
  });

  it('records as validation RMSE exactly what scoring its validation rows gives', () => {
    // Given validation rows whose values were never seen in training (training walks their bins)
    const train = make(1);
    const validation = make(2);
    // When trained on every round, so the recorded metric is the final model's
    const model = trainGbdt(trainInput('regression', train, validation), { nEstimators: 30, earlyStoppingRounds: 0 });
    // Then it matches the RMSE of the scorer's predictions, which compare raw values to thresholds
    expect(model.json.validation?.best).toBeCloseTo(
      rmse(model.predictMatrix(validation.matrix), validation.target),
      12,
    );
  });

  it('predicts the constant when the target is constant', () => {
    const constant = makeProblem(
      features,
      300,
      3,
      (u) => [u()],
      () => 4.5,
    );
    const model = trainGbdt(trainInput('regression', constant, constant), { nEstimators: 10 });
    expect(model.predictRow(Float64Array.of(0.3))).toBe(4.5);
    expect(model.json.trees.every((tree) => tree.feature.length === 1)).toBe(true);
  });
});

describe('constant binary target', () => {
  it('predicts a probability near the only class seen', () => {
    const allZero = makeProblem(
      twoNumeric,
      300,
      4,
      (u) => [u(), u()],
      () => 0,
    );
    const model = trainGbdt(trainInput('binary', allZero, allZero), { nEstimators: 10 });
    const p = model.predictRow(Float64Array.of(0.5, 0.5));
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-6);
  });
});

describe('the worker thread', () => {
  // Enough rows for trainGbdt to start its worker; small trees keep the test fast.
  const rows = MIN_ROWS_FOR_WORKER + 1001;
  const params = { nEstimators: 8, maxDepth: 5, earlyStoppingRounds: 0 };

  it.each(['binary', 'regression'] as const)('grows the same %s trees as one thread does', (task) => {
    // Given the same input trained with one thread and with two
    const data =
      task === 'binary'
        ? xorProblem(rows, 5)
        : makeProblem(
            twoNumeric,
            rows,
            5,
            (u) => [u() * 6 - 3, u()],
            ([x, y], u) => Math.sin(x) * 3 + y + (u() - 0.5) * 0.2,
          );
    const single = trainGbdt(trainInput(task, data, data), { ...params, threads: 1 });
    const parallel = trainGbdt(trainInput(task, data, data), { ...params, threads: 2 });
    // Then only the recorded thread count differs
    expect(JSON.stringify(parallel.json.trees)).toBe(JSON.stringify(single.json.trees));
    expect(parallel.json.params.threads).toBe(2);
  });
});

describe('categorical features', () => {
  it('splits on ordered category codes', () => {
    // Given codes 0..5 where only codes >= 4 are positive (codes ordered by target mean)
    const features: FeatureInfo[] = [{ name: 'colour', kind: 'categorical', cardinality: 6 }];
    const make = (seed: number) =>
      makeProblem(
        features,
        1200,
        seed,
        (u) => [Math.floor(u() * 6)],
        ([c]) => (c >= 4 ? 1 : 0),
      );
    // When trained
    const model = trainGbdt(trainInput('binary', make(1), make(2)), { nEstimators: 20 });
    // Then the root splits between codes 3 and 4, and the classes separate
    expect(model.json.trees[0].feature[0]).toBe(0);
    expect(model.json.trees[0].threshold[0]).toBe(3.5);
    expect(model.predictRow(Float64Array.of(5))).toBeGreaterThan(0.9);
    expect(model.predictRow(Float64Array.of(1))).toBeLessThan(0.1);
  });
});

describe('binning', () => {
  it('gives every code of a small categorical feature its own bin', () => {
    const cuts = computeCuts(Float64Array.of(0, 1, 2), 3, { name: 'c', kind: 'categorical', cardinality: 5 }, 256);
    expect(Array.from(cuts)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('uses at most maxBins quantile bins for a continuous feature', () => {
    const values = Float64Array.from({ length: 10000 }, (_, i) => Math.sin(i) * 100);
    const matrix = matrixFrom(
      [{ name: 'v', kind: 'numeric' }],
      Array.from(values, (v) => [v]),
    );
    const binned = binMatrix(matrix, 16);
    expect(binned.cuts[0].length).toBeLessThanOrEqual(15);
    expect(Math.max(...binned.bins[0])).toBe(binned.cuts[0].length);
  });

  it('assigns bins consistently with the stored thresholds (value <= cut goes left)', () => {
    const values = Float64Array.from({ length: 5003 }, (_, i) => Math.round(Math.cos(i * 7) * 1000) / 10);
    const matrix = matrixFrom(
      [{ name: 'v', kind: 'numeric' }],
      Array.from(values, (v) => [v]),
    );
    const binned = binMatrix(matrix, 64);
    const cuts = binned.cuts[0];
    const inconsistentRows = values.filter((value, r) => {
      const bin = binned.bins[0][r];
      const belowUpper = bin === cuts.length || value <= cuts[bin];
      const aboveLower = bin === 0 || value > cuts[bin - 1];
      return bin !== binOf(value, cuts) || !belowUpper || !aboveLower;
    });
    expect(Array.from(inconsistentRows)).toEqual([]);
  });

  it('places quantile cuts of a large signed column where a plain sorted copy puts them', () => {
    const values = Float64Array.from({ length: 20000 }, (_, i) => (i % 3 === 0 ? -0 : Math.sin(i * 1.7) * 50));
    const sorted = Float64Array.from(values).sort();
    const expected: number[] = [];
    for (let i = 1; i < 32; i++) {
      const cut = sorted[Math.floor((i * sorted.length) / 32) - 1];
      if (cut < sorted[sorted.length - 1] && (expected.length === 0 || cut > expected[expected.length - 1])) {
        expected.push(cut);
      }
    }
    const cuts = computeCuts(values, values.length, { name: 'v', kind: 'numeric' }, 32);
    expect(Array.from(cuts)).toEqual(expected);
  });

  it('puts a cut between each pair of neighbouring values when a large column has few distinct values', () => {
    const values = Float64Array.from({ length: 10000 }, (_, i) => [-2, 0, 3, 7][i % 4]);
    const cuts = computeCuts(values, values.length, { name: 'v', kind: 'numeric' }, 256);
    expect(Array.from(cuts)).toEqual([-1, 1.5, 5]);
  });

  it('rejects a large column holding NaN, naming the feature', () => {
    const values = Float64Array.from({ length: 10000 }, (_, i) => (i === 4321 ? Number.NaN : i));
    expect(() => computeCuts(values, values.length, { name: 'age', kind: 'numeric' }, 256)).toThrow(/"age" has NaN/);
  });
});

describe('invalid input', () => {
  it('rejects a binary target that is not 0/1, naming the row', () => {
    const bad = makeProblem(
      twoNumeric,
      10,
      1,
      (u) => [u(), u()],
      () => 2,
    );
    expect(() => trainGbdt(trainInput('binary', bad, bad))).toThrow('training target 2 at row 0 is not 0 or 1');
  });

  it('rejects an invalid parameter, naming it and the value', () => {
    const data = xorProblem(20, 1);
    expect(() => trainGbdt(trainInput('binary', data, data), { maxBins: 1000 })).toThrow('maxBins=1000');
  });

  it('rejects an unknown parameter, listing the known ones', () => {
    const data = xorProblem(20, 1);
    expect(() => trainGbdt(trainInput('binary', data, data), { trees: 10 } as never)).toThrow(
      'gbdt: unknown parameter(s) trees; known: nEstimators, maxDepth',
    );
  });

  it('rejects model JSON with a child pointing backwards', () => {
    const model = trainGbdt(trainInput('binary', xorProblem(200, 1), xorProblem(100, 2)), { nEstimators: 2 });
    const corrupt = structuredClone(model.json);
    corrupt.trees[0].left[0] = 0;
    expect(() => gbdtFromJson(corrupt, model.features)).toThrow('tree 0 node 0 has children');
  });

  it.each([
    ['a fractional node index', 'feature', 1.5, 'trees.1.feature: must be a list of whole numbers >= -1'],
    ['a node index below -1', 'right', -2, 'trees.1.right: must be a list of whole numbers >= -1'],
    ['a threshold that is no number', 'threshold', 'x', 'trees.1.threshold: must be a list of finite numbers'],
    ['a leaf value that is null', 'value', null, 'trees.1.value: must be a list of finite numbers'],
  ])('rejects model JSON with %s, naming the tree array', (_case, array, value, message) => {
    const model = trainGbdt(trainInput('binary', xorProblem(200, 1), xorProblem(100, 2)), { nEstimators: 2 });
    const corrupt = structuredClone(model.json) as unknown as { trees: Array<Record<string, unknown[]>> };
    corrupt.trees[1]![array]![0] = value;
    expect(() => gbdtFromJson(corrupt, model.features)).toThrow(`gbdt model json is invalid at ${message}`);
  });

  it('rejects a feature list that differs from the training features', () => {
    const model = trainGbdt(trainInput('binary', xorProblem(200, 1), xorProblem(100, 2)), { nEstimators: 2 });
    expect(() => gbdtFromJson(model.json, [{ name: 'x', kind: 'numeric' }])).toThrow('trained on features [x, y]');
  });
});

describe('row and column subsampling', () => {
  const train = xorProblem(2000, 11);
  const validation = xorProblem(500, 12);
  const sampled = { ...SMALL, subsample: 0.7, colsampleByTree: 0.5 };

  it('grows the same trees for the same seed', () => {
    // Given two trainings with the same data, settings and seed
    const first = trainGbdt(trainInput('binary', train, validation, 3), sampled);
    const second = trainGbdt(trainInput('binary', train, validation, 3), sampled);
    // Then the JSON is byte-identical
    expect(JSON.stringify(second.json)).toBe(JSON.stringify(first.json));
  });

  it('grows different trees for a different seed', () => {
    const first = trainGbdt(trainInput('binary', train, validation, 3), sampled);
    const other = trainGbdt(trainInput('binary', train, validation, 4), sampled);
    expect(JSON.stringify(other.json.trees)).not.toBe(JSON.stringify(first.json.trees));
  });

  it('changes the trees when subsample is below 1, and learns from the sampled rows', () => {
    // Given the same seed with and without row subsampling
    const full = trainGbdt(trainInput('binary', train, validation, 3), SMALL);
    const half = trainGbdt(trainInput('binary', train, validation, 3), { ...SMALL, subsample: 0.5 });
    // Then the first tree already differs (its leaves sum half the rows' gradients), and the model still learns
    expect(half.json.trees[0].value).not.toEqual(full.json.trees[0].value);
    expect(auc(half.predictMatrix(validation.matrix), validation.target)).toBeGreaterThan(0.9);
  });

  it('splits each tree only on its sampled features', () => {
    // Given four features of which each tree may use one (colsampleByTree 0.25 of 4)
    const features: FeatureInfo[] = ['a', 'b', 'c', 'd'].map((name) => ({ name, kind: 'numeric' }));
    const make = (seed: number) =>
      makeProblem(
        features,
        1000,
        seed,
        (u) => [u(), u(), u(), u()],
        ([a, b, c, d], u) => (a + b + c + d + u() > 2.5 ? 1 : 0),
      );
    const model = trainGbdt(trainInput('binary', make(1), make(2), 5), { ...SMALL, colsampleByTree: 0.25 });
    // Then every tree splits on one feature only, and not always the same one
    const featuresPerTree = model.json.trees.map((tree) => new Set(tree.feature.filter((f) => f >= 0)));
    expect(featuresPerTree.every((used) => used.size <= 1)).toBe(true);
    expect(new Set(featuresPerTree.flatMap((used) => [...used])).size).toBeGreaterThan(1);
  });

  it('grows the same sampled trees with one thread and with two', () => {
    // Given enough rows for the worker thread, trained with one thread and with two
    const data = xorProblem(MIN_ROWS_FOR_WORKER + 1001, 5);
    const params = { nEstimators: 6, maxDepth: 5, earlyStoppingRounds: 0, subsample: 0.6, colsampleByTree: 0.5 };
    const single = trainGbdt(trainInput('binary', data, data), { ...params, threads: 1 });
    const parallel = trainGbdt(trainInput('binary', data, data), { ...params, threads: 2 });
    // Then the trees are identical
    expect(JSON.stringify(parallel.json.trees)).toBe(JSON.stringify(single.json.trees));
  });

  it('leaves the trees unchanged when both shares are 1, whatever the seed', () => {
    const one = trainGbdt(trainInput('binary', train, validation, 3), { ...SMALL, subsample: 1, colsampleByTree: 1 });
    const other = trainGbdt(trainInput('binary', train, validation, 99), SMALL);
    expect(JSON.stringify(one.json)).toBe(JSON.stringify(other.json));
  });

  it('gives no leaf a non-finite value when lambda is 0 and a node samples no rows', () => {
    // Given 3 rows, a 1% sample (so most trees see no row at all) and no L2 penalty
    const tiny = xorProblem(3, 8);
    const model = trainGbdt(trainInput('binary', tiny, tiny), {
      nEstimators: 10,
      earlyStoppingRounds: 0,
      subsample: 0.01,
      lambda: 0,
      minChildWeight: 0,
    });
    expect(model.json.trees.flatMap((tree) => tree.value).every(Number.isFinite)).toBe(true);
  });

  it('loads a model recorded before subsampling existed as one that sampled nothing', () => {
    const model = trainGbdt(trainInput('binary', train, validation), { nEstimators: 3 });
    const { subsample: _s, colsampleByTree: _c, ...olderParams } = model.json.params;
    const rebuilt = gbdtFromJson({ ...model.json, params: olderParams }, model.features);
    expect(rebuilt.json.params).toMatchObject({ subsample: 1, colsampleByTree: 1 });
    expect(Array.from(rebuilt.predictMatrix(validation.matrix))).toEqual(
      Array.from(model.predictMatrix(validation.matrix)),
    );
  });

  it.each([
    ['subsample', 0],
    ['subsample', 1.5],
    ['colsampleByTree', 0],
    ['colsampleByTree', -0.2],
  ])('rejects %s=%s, naming the parameter', (name, value) => {
    const data = xorProblem(20, 1);
    expect(() => trainGbdt(trainInput('binary', data, data), { [name]: value })).toThrow(
      `gbdt: parameter ${name}=${value} is invalid`,
    );
  });
});

describe('node cover and explanations', () => {
  const train = xorProblem(2000, 11);
  const validation = xorProblem(500, 12);
  const model = trainGbdt(trainInput('binary', train, validation), { ...SMALL, subsample: 0.8 });

  it('stores each node cover as the hessian sum to 7 digits, children adding up to their parent', () => {
    for (const tree of model.json.trees) {
      const cover = tree.cover!;
      expect(cover).toHaveLength(tree.feature.length);
      for (let node = 0; node < cover.length; node++) {
        if (tree.left[node] < 0) continue;
        // Stored to 7 significant digits
        expect(Math.abs(cover[tree.left[node]] + cover[tree.right[node]] - cover[node])).toBeLessThan(
          1e-6 * cover[node],
        );
      }
      // Binary hessians are p(1 - p) <= 1/4, over the ~80% of rows each tree samples
      expect(cover[0]).toBeGreaterThan(0);
      expect(cover[0]).toBeLessThanOrEqual(train.matrix.rowCount / 4);
    }
  });

  it('explains rows with contributions that add up to the margin', () => {
    const explainer = treeShapExplainer(model.shapForest!);
    for (let r = 0; r < 50; r++) {
      const row = rowOf(validation.matrix, r);
      const phi = explainer.explainRow(row);
      const p = model.predictRow(row);
      expect(explainer.baseValue + phi[0] + phi[1]).toBeCloseTo(Math.log(p / (1 - p)), 9);
    }
  });

  it('loads a model stored without cover: the same scores, bit for bit, and no explanations', () => {
    // Given the JSON as models trained before cover was stored have it
    const old = JSON.parse(JSON.stringify(model.json)) as GbdtModelJson;
    for (const tree of old.trees) delete tree.cover;
    const loaded = gbdtFromJson(old, model.features);
    const scores = model.predictMatrix(validation.matrix);
    expect(Array.from(loaded.predictMatrix(validation.matrix))).toEqual(Array.from(scores));
    for (let r = 0; r < 20; r++) expect(loaded.predictRow(rowOf(validation.matrix, r))).toBe(scores[r]);
    expect(loaded.shapForest).toBeUndefined();
    expect(gbdtFromJson(model.json, model.features).shapForest).toBeDefined();
  });

  it('rejects a cover array of another length than the tree', () => {
    const broken = JSON.parse(JSON.stringify(model.json)) as GbdtModelJson;
    broken.trees[0].cover!.pop();
    expect(() => gbdtFromJson(broken, model.features)).toThrow('tree 0 has node arrays of different lengths');
  });
});
