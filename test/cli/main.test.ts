import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { parseArtifact } from '../../core/artifact/format';
import { parseCsv } from '../../core/data/csv';
import { churnCsv } from '../../core/datasets/churn';
import { PHASES } from '../../core/timing/phases';
import { buildCli } from '../../lib/bundles';
import { captureIo } from '../support/cli-io';

describe('mlops command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  const data = join(dir, 'churn.csv');
  writeFileSync(data, churnCsv({ rows: 1500, seed: 3, batch: 'v1' }));

  it('records the --time-budget and refits a local file on every row, hold-out included', async () => {
    const train = captureIo();
    const out = join(dir, 'budget-model');
    const argv = [
      'train',
      '--data',
      data,
      '--target',
      'churned',
      '--out',
      out,
      '--learner',
      'linear',
      '--time-budget',
      '0',
    ];
    expect(await main(argv, train.io)).toBe(0);
    const artifact = parseArtifact(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(artifact.params).toMatchObject({ timeBudgetSeconds: 0, refitIncludesHoldOut: true });
    expect(artifact.data.refitRows).toBe(1500);
    expect(artifact.metrics.selection?.evaluated).toHaveLength(1);
  });

  it('refuses a negative --time-budget, naming the value', async () => {
    const train = captureIo();
    const argv = ['train', '--data', data, '--target', 'churned', '--out', join(dir, 'x'), '--time-budget=-1'];
    await expect(main(argv, train.io)).resolves.not.toBe(0);
    expect(train.err.join('')).toContain('--time-budget must be a number of seconds, 0 or more, got "-1"');
  });

  it('passes --learning-rate and --no-refit to training, and refuses a learning rate above 1', async () => {
    const large = join(dir, 'churn-large.csv');
    writeFileSync(large, churnCsv({ rows: 6500, seed: 4, batch: 'v1' }));
    const train = captureIo();
    const out = join(dir, 'single-fit');
    const argv = ['train', '--data', large, '--target', 'churned', '--out', out, '--learner', 'gbdt'];
    expect(await main([...argv, '--trees', '20', '--learning-rate', '0.3', '--no-refit'], train.io)).toBe(0);
    const artifact = parseArtifact(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(artifact.params).toMatchObject({
      refit: false,
      learnerParams: { gbdt: { learningRate: 0.3, nEstimators: 20 } },
    });
    expect(artifact.data.refitRows).toBe(artifact.data.trainRows);
    const refused = captureIo();
    expect(await main([...argv, '--learning-rate', '1.5'], refused.io)).toBe(2);
    expect(refused.err.join('')).toContain('--learning-rate must be a number above 0 and at most 1, got "1.5"');
  });

  it('trains, printing progress and notes, then predicts one output row per input row in order', async () => {
    const train = captureIo();
    const code = await main(
      ['train', '--data', data, '--target', 'churned', '--out', join(dir, 'model'), '--trees', '30'],
      train.io,
    );
    expect(code).toBe(0);
    const log = train.err.join('');
    expect(log).toContain('note: positive class "yes" chosen because it reads as true');
    expect(log).toMatch(/gbdt: tree 10\/30 {2}validation logloss \d\.\d{4}/);
    expect(train.out.join('')).toBe(`${join(dir, 'model', 'model.json')}\n`);

    const predict = captureIo();
    const out = join(dir, 'scored.csv');
    expect(await main(['predict', '--model', join(dir, 'model'), '--data', data, '--out', out], predict.io)).toBe(0);
    const scored = parseCsv(readFileSync(out, 'utf8'));
    const input = parseCsv(readFileSync(data, 'utf8'));
    expect(scored.rowCount).toBe(input.rowCount);
    expect(scored.columnNames.slice(-2)).toEqual(['score', 'label']);
    expect(scored.columns[0]).toEqual(input.columns[0]);
    const scores = scored.columns[scored.columnNames.indexOf('score')].map(Number);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it('prints one clear line and exits 2 on bad input', async () => {
    const run = captureIo();
    expect(await main(['train', '--data', data, '--target', 'nope', '--out', dir], run.io)).toBe(2);
    expect(run.err.join('').trim().split('\n').pop()).toMatch(/^mlops train: error: .*target column "nope" not found/);
  });

  it('exits 2 naming a missing required flag', async () => {
    const run = captureIo();
    expect(await main(['predict', '--model', dir], run.io)).toBe(2);
    expect(run.err.join('')).toBe("mlops predict: --data is required (see 'mlops predict --help')\n");
  });

  it('prints one timing line per phase to stderr when MLOPS_TIMINGS=1', async () => {
    const run = captureIo();
    process.env.MLOPS_TIMINGS = '1';
    try {
      const args = ['train', '--data', data, '--target', 'churned', '--out', join(dir, 'timed'), '--trees', '5'];
      expect(await main(args, run.io)).toBe(0);
    } finally {
      delete process.env.MLOPS_TIMINGS;
    }
    const phases = [...run.err.join('').matchAll(/^timing (\w+) \d+ ms$/gm)].map((match) => match[1]);
    expect(phases).toEqual([...PHASES, 'total']);
  });

  it.each(['train', 'predict', 'drift', 'trainer'])('has --help for %s', async (verb) => {
    const run = captureIo();
    expect(await main([verb, '--help'], run.io)).toBe(0);
    expect(run.out.join('')).toContain(`usage: mlops ${verb}`);
  });
});

describe('bin/mlops.js', () => {
  const BIN = join(__dirname, '../../bin/mlops.js');
  beforeAll(() => {
    // as `npm ci` leaves it: prepare built dist/cli
    buildCli();
  });

  it('runs as an installed bin', () => {
    const text = execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(text).toContain('usage: mlops <command> [options]');
  });

  it('runs the compiled CLI: --help loads neither the TypeScript loader nor aws-cdk-lib', () => {
    const text = execFileSync(
      process.execPath,
      ['--require', join(__dirname, 'fixtures/forbid-modules.js'), BIN, '--help'],
      { encoding: 'utf8' },
    );
    expect(text).toContain('usage: mlops <command> [options]');
  });

  it('without dist/cli says how to build it, then runs the TypeScript sources', () => {
    // given a checkout where the build has not run: the repository's files, no dist/
    const checkout = mkdtempSync(join(tmpdir(), 'mlops-unbuilt-'));
    const root = join(__dirname, '../..');
    for (const entry of ['cli', 'core', 'adapters', 'local', 'lib', 'containers', 'node_modules', 'package.json']) {
      symlinkSync(join(root, entry), join(checkout, entry));
    }
    mkdirSync(join(checkout, 'bin'));
    copyFileSync(BIN, join(checkout, 'bin/mlops.js'));
    // when
    const run = spawnSync(process.execPath, [join(checkout, 'bin/mlops.js'), '--help'], {
      cwd: checkout,
      encoding: 'utf8',
    });
    // then
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(
      "mlops: dist/cli/mlops.js is missing; build it with 'npm run build' (npm ci does this). Running the TypeScript sources instead (slower start).\n",
    );
    expect(run.stdout).toContain('usage: mlops <command> [options]');
  });
});
