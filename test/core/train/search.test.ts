import { trainGbdt } from '../../../core/learners/gbdt';
import { GBDT_GRID, LINEAR_L2_GRID, runSearch, searchOrder } from '../../../core/train/search';
import { trainInput, xorProblem } from '../learners/helpers';

describe('searchOrder', () => {
  it('tries each learner defaults first, then the linear grid, then the GBDT grid', () => {
    const order = searchOrder(['gbdt', 'linear']);
    expect(order.slice(0, 2)).toEqual([
      { learner: 'gbdt', settings: {} },
      { learner: 'linear', settings: { l2: LINEAR_L2_GRID[0] } },
    ]);
    expect(order.slice(2, 1 + LINEAR_L2_GRID.length).every((c) => c.learner === 'linear')).toBe(true);
    expect(order.slice(1 + LINEAR_L2_GRID.length).map((c) => c.settings)).toEqual(GBDT_GRID.slice(1));
  });

  it('lists only GBDT settings the learner accepts, row and column subsampling among them', () => {
    const data = xorProblem(200, 1);
    for (const settings of GBDT_GRID) {
      expect(() => trainGbdt(trainInput('binary', data, data), { ...settings, nEstimators: 2 })).not.toThrow();
    }
    expect(GBDT_GRID.some((settings) => Number(settings.subsample) < 1)).toBe(true);
    expect(GBDT_GRID.some((settings) => Number(settings.colsampleByTree) < 1)).toBe(true);
  });

  it('does not search a learner the user gave settings for', () => {
    const order = searchOrder(['gbdt', 'linear'], { gbdt: { maxDepth: 3 } });
    expect(order.filter((c) => c.learner === 'gbdt')).toEqual([{ learner: 'gbdt', settings: { maxDepth: 3 } }]);
  });
});

describe('runSearch', () => {
  const candidates = searchOrder(['gbdt', 'linear']);
  /** A clock that advances one second per reading. */
  const ticking = () => {
    let t = -1000;
    return () => {
      t += 1000;
      return t;
    };
  };

  it('stops at the same candidate for the same budget and records that it was truncated', () => {
    const score = (c: { settings: Record<string, unknown> }) => ({ better: Number(c.settings.l2 ?? 0) });
    const a = runSearch(candidates, score, { budgetSeconds: 3, now: ticking() });
    const b = runSearch(candidates, score, { budgetSeconds: 3, now: ticking() });
    expect(a.truncated).toBe(true);
    expect(a.evaluated.length).toBeLessThan(candidates.length);
    expect(b.evaluated.map((c) => c.settings)).toEqual(a.evaluated.map((c) => c.settings));
  });

  it('still evaluates every learner once with a zero budget', () => {
    const result = runSearch(candidates, () => ({ better: 0 }), { budgetSeconds: 0, now: ticking() });
    expect(result.evaluated.map((c) => c.learner)).toEqual(['gbdt', 'linear']);
  });

  it('keeps the earlier candidate on a tie', () => {
    const result = runSearch(candidates, () => ({ better: 1 }), { budgetSeconds: 1e6 });
    expect(result.truncated).toBe(false);
    expect(result.best).toBe(0);
  });
});
