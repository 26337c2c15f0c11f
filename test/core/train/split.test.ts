import { kFoldSplits, splitRows } from '../../../core/train/split';

describe('splitRows', () => {
  const labels = Float64Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? 1 : 0));

  it('keeps the class balance on both sides and skips rows without a target', () => {
    const withMissing = Float64Array.from(labels, (value, i) => (i === 3 ? Number.NaN : value));
    const { train, validation } = splitRows(withMissing, { seed: 1, validationFraction: 0.2, stratify: true });
    expect(train.length + validation.length).toBe(999);
    const positives = (rows: Uint32Array) => Array.from(rows).filter((row) => withMissing[row] === 1).length;
    expect(positives(validation)).toBe(50);
    expect(positives(train)).toBe(200);
    expect(validation.includes(3) || train.includes(3)).toBe(false);
  });

  it('gives the same split for the same seed and a different one for another seed', () => {
    const a = splitRows(labels, { seed: 7, validationFraction: 0.2, stratify: true });
    expect(splitRows(labels, { seed: 7, validationFraction: 0.2, stratify: true })).toEqual(a);
    expect(splitRows(labels, { seed: 8, validationFraction: 0.2, stratify: true }).validation).not.toEqual(
      a.validation,
    );
  });

  it('handles a million rows without exhausting the call stack', () => {
    const big = new Float64Array(1_000_000).fill(0);
    const { train, validation } = splitRows(big, { seed: 1, validationFraction: 0.2, stratify: false });
    expect(validation.length).toBe(200_000);
    expect(train.length).toBe(800_000);
  });
});

describe('kFoldSplits', () => {
  const labels = Float64Array.from({ length: 103 }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const rows = Uint32Array.from({ length: 103 }, (_, i) => i).filter((row) => row !== 50);

  it('validates every given row exactly once, with the class balance kept in each fold', () => {
    const folds = kFoldSplits(labels, rows, { seed: 3, folds: 5, stratify: true });
    const validated = folds.flatMap((fold) => Array.from(fold.validation)).sort((a, b) => a - b);
    expect(validated).toEqual(Array.from(rows));
    for (const fold of folds) {
      expect(fold.train.length + fold.validation.length).toBe(rows.length);
      expect(Array.from(fold.train).some((row) => fold.validation.includes(row))).toBe(false);
      const positives = Array.from(fold.validation).filter((row) => labels[row] === 1).length;
      expect([5, 6]).toContain(positives);
    }
  });

  it('gives the same folds for the same seed', () => {
    const options = { seed: 3, folds: 5, stratify: true };
    expect(kFoldSplits(labels, rows, options)).toEqual(kFoldSplits(labels, rows, options));
  });
});
