import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { parseCsv } from '../../core/data/csv';
import { churnCsv } from '../../core/datasets/churn';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), interactive: false }, out, err };
}

describe('mlops command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  const data = join(dir, 'churn.csv');
  writeFileSync(data, churnCsv({ rows: 1500, seed: 3, batch: 'v1' }));

  it('trains, printing progress and notes, then predicts one output row per input row in order', async () => {
    const train = capture();
    const code = await main(
      ['train', '--data', data, '--target', 'churned', '--out', join(dir, 'model'), '--trees', '30'],
      train.io,
    );
    expect(code).toBe(0);
    const log = train.err.join('');
    expect(log).toContain('note: positive class "yes" chosen because it reads as true');
    expect(log).toMatch(/gbdt: tree 10\/30 {2}validation logloss \d\.\d{4}/);
    expect(train.out.join('')).toBe(`${join(dir, 'model', 'model.json')}\n`);

    const predict = capture();
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
    const run = capture();
    expect(await main(['train', '--data', data, '--target', 'nope', '--out', dir], run.io)).toBe(2);
    expect(run.err.join('').trim().split('\n').pop()).toMatch(/^mlops train: error: .*target column "nope" not found/);
  });

  it('exits 2 naming a missing required flag', async () => {
    const run = capture();
    expect(await main(['predict', '--model', dir], run.io)).toBe(2);
    expect(run.err.join('')).toBe("mlops predict: --data is required (see 'mlops predict --help')\n");
  });

  it.each(['train', 'predict', 'drift', 'trainer'])('has --help for %s', async (verb) => {
    const run = capture();
    expect(await main([verb, '--help'], run.io)).toBe(0);
    expect(run.out.join('')).toContain(`usage: mlops ${verb}`);
  });

  it('runs as an installed bin', () => {
    const text = execFileSync(process.execPath, [join(__dirname, '../../bin/mlops.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(text).toContain('usage: mlops <command> [options]');
  });
});
