import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic, writeSyntheticCsv } from '../../../core/datasets/synthetic';
import { auc } from '../../../core/metrics';

describe('generateSynthetic', () => {
  it('is reproducible from its seed', () => {
    const first = generateSynthetic({ rows: 500, seed: 9, task: 'binary' });
    const second = generateSynthetic({ rows: 500, seed: 9, task: 'binary' });
    expect(Array.from(second.target)).toEqual(Array.from(first.target));
    expect(Array.from(second.matrix.columns[5])).toEqual(Array.from(first.matrix.columns[5]));
  });

  it('has 20 features, mostly numeric, with one binary and three categorical codes', () => {
    const { matrix } = generateSynthetic({ rows: 10, seed: 1, task: 'binary' });
    const kinds = matrix.features.map((feature) => feature.kind);
    expect(kinds.filter((kind) => kind === 'numeric')).toHaveLength(16);
    expect(kinds.filter((kind) => kind === 'binary')).toHaveLength(1);
    expect(matrix.features.filter((feature) => feature.kind === 'categorical').map((f) => f.cardinality)).toEqual([
      4, 8, 16,
    ]);
  });

  it('has a Bayes-optimal AUC between 0.85 and 0.9', () => {
    const { signal, target } = generateSynthetic({ rows: 20000, seed: 2, task: 'binary' });
    const bayes = auc(signal, target);
    expect(bayes).toBeGreaterThan(0.85);
    expect(bayes).toBeLessThan(0.9);
  });

  it('writes a CSV whose values read back exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synthetic-'));
    try {
      const { matrix, target } = generateSynthetic({ rows: 3, seed: 4, task: 'regression' });
      const path = join(dir, 'data.csv');
      writeSyntheticCsv(path, matrix, target);
      const [header, firstRow] = readFileSync(path, 'utf8').split('\n');
      expect(header.split(',')).toEqual([...matrix.features.map((feature) => feature.name), 'target']);
      const values = firstRow.split(',').map(Number);
      expect(values.slice(0, 20)).toEqual(matrix.columns.map((column) => column[0]));
      expect(values[20]).toBe(target[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
