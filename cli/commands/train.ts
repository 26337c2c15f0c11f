import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeArtifact } from '../../core/artifact/format';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import {
  addPhaseTime,
  formatPhaseTimings,
  startPhaseTimings,
  stopPhaseTimings,
  timed,
  timedAsync,
} from '../../core/timing/phases';
import { DEFAULT_TIME_BUDGET_SECONDS } from '../../core/train/search';
import { type LearnerChoice, trainModel } from '../../core/train/train';
import { intFlag, numberFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';
import { progressPrinter } from '../io';

const LEARNER_CHOICES: readonly LearnerChoice[] = ['auto', 'gbdt', 'linear'];

export const trainCommand: Command = {
  spec: {
    name: 'train',
    summary: 'train a model on a CSV or Parquet file and write its artifact',
    usage: 'mlops train --data <file> --target <column> [--positive <label>] --out <dir>',
    flags: {
      data: { type: 'string', description: 'training data, CSV or Parquet', required: true, valueName: 'file' },
      target: { type: 'string', description: 'the column to predict', required: true, valueName: 'column' },
      positive: {
        type: 'string',
        description: 'the positive class label (binary); chosen and printed when absent',
        valueName: 'label',
      },
      task: {
        type: 'string',
        description: 'binary or regression; inferred from the target when absent',
        valueName: 'task',
      },
      out: { type: 'string', description: 'directory for model.json', required: true, valueName: 'dir' },
      learner: {
        type: 'string',
        description: 'auto (train all, keep the best), gbdt or linear',
        default: 'auto',
        valueName: 'name',
      },
      features: {
        type: 'string',
        description: 'comma-separated feature columns (default: all usable)',
        valueName: 'list',
      },
      seed: {
        type: 'string',
        description: 'random seed; same data + seed gives the same artifact',
        default: '42',
        valueName: 'n',
      },
      'validation-fraction': {
        type: 'string',
        description: 'share of rows held out for validation',
        default: '0.2',
        valueName: 'x',
      },
      'time-budget': {
        type: 'string',
        description: "seconds the settings search may run after each learner's defaults (0: defaults only)",
        default: String(DEFAULT_TIME_BUDGET_SECONDS),
        valueName: 'seconds',
      },
      'no-refit': {
        type: 'boolean',
        description:
          'keep the model the validation split trained instead of refitting the chosen settings on every row (one fit instead of two; below 5,000 rows selection is k-fold and always refits)',
      },
      trees: { type: 'string', description: 'maximum number of boosted trees', valueName: 'n' },
      'max-depth': { type: 'string', description: 'maximum tree depth', valueName: 'n' },
      'learning-rate': {
        type: 'string',
        description: "boosted trees' shrinkage per tree (default 0.1; XGBoost's eta defaults to 0.3)",
        valueName: 'x',
      },
    },
    examples: ['mlops train --data churn.csv --target churned --positive yes --out model/'],
  },

  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const learner = stringFlag(flags, 'learner') as LearnerChoice;
    if (!LEARNER_CHOICES.includes(learner))
      throw new UsageError(`--learner must be one of ${LEARNER_CHOICES.join(', ')}, got "${learner}"`);
    const task = stringFlag(flags, 'task');
    if (task !== undefined && task !== 'binary' && task !== 'regression') {
      throw new UsageError(`--task must be binary or regression, got "${task}"`);
    }
    const timeBudgetSeconds = numberFlag(flags, 'time-budget');
    if (timeBudgetSeconds === undefined || !(timeBudgetSeconds >= 0)) {
      throw new UsageError(
        `--time-budget must be a number of seconds, 0 or more, got "${stringFlag(flags, 'time-budget')}"`,
      );
    }
    const dataPath = stringFlag(flags, 'data')!;
    const outDir = stringFlag(flags, 'out')!;
    const gbdtParams: Record<string, number> = {};
    const trees = intFlag(flags, 'trees');
    const maxDepth = intFlag(flags, 'max-depth');
    if (trees !== undefined) gbdtParams.nEstimators = trees;
    if (maxDepth !== undefined) gbdtParams.maxDepth = maxDepth;
    const learningRate = numberFlag(flags, 'learning-rate');
    if (learningRate !== undefined) {
      if (!(learningRate > 0 && learningRate <= 1)) {
        throw new UsageError(
          `--learning-rate must be a number above 0 and at most 1, got "${stringFlag(flags, 'learning-rate')}"`,
        );
      }
      gbdtParams.learningRate = learningRate;
    }

    // MLOPS_TIMINGS=1: one stderr line per phase (start-up counts from the process's own start).
    const timings = process.env.MLOPS_TIMINGS === '1' ? startPhaseTimings() : undefined;
    if (timings) addPhaseTime('start', performance.now());
    const started = Date.now();
    const bytes = await timedAsync('parse', () => readFile(dataPath)).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(
        error.code === 'ENOENT'
          ? `--data: file not found: ${dataPath}`
          : `--data: cannot read ${dataPath}: ${error.message}`,
      );
    });
    const table = await timedAsync('parse', () => readTableBytes(bytes, dataPath, { numbers: true }));
    const dataSha256 = timed('parse', () => sha256Hex(bytes));
    io.err(`read ${table.rowCount} rows x ${table.columnNames.length} columns from ${dataPath}\n`);
    const artifact = timed('train', () =>
      trainModel(table, {
        target: stringFlag(flags, 'target')!,
        positiveLabel: stringFlag(flags, 'positive'),
        task,
        features: stringFlag(flags, 'features')
          ?.split(',')
          .map((name) => name.trim())
          .filter(Boolean),
        learner,
        seed: intFlag(flags, 'seed'),
        validationFraction: numberFlag(flags, 'validation-fraction'),
        timeBudgetSeconds,
        // A local file has no gate scoring the hold-out later, so the kept model may learn from it too.
        refitIncludesHoldOut: true,
        refit: flags['no-refit'] !== true,
        learnerParams: Object.keys(gbdtParams).length > 0 ? { gbdt: gbdtParams } : undefined,
        dataSha256,
        source: dataPath,
        onProgress: progressPrinter(io),
        onNote: (note) => io.err(`note: ${note}\n`),
      }),
    );
    const artifactPath = join(outDir, 'model.json');
    await timedAsync('write', async () => {
      await mkdir(outDir, { recursive: true });
      await writeFile(artifactPath, serializeArtifact(artifact));
    });
    const metrics = Object.entries(artifact.metrics.validation)
      .map(([name, value]) => `${name} ${Number(value).toFixed(4)}`)
      .join(', ');
    io.err(`model: ${artifact.model.kind}; validation ${metrics}\n`);
    io.out(`${artifactPath}\n`);
    io.err(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (timings) {
      stopPhaseTimings();
      io.err(formatPhaseTimings(timings.totals));
    }
    return 0;
  },
};
