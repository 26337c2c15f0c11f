import { defaultsFor } from '../../../core/config/parse';
import type { ModelInput } from '../../../core/config/schema';
import {
  aucStandardError,
  decideQualityActions,
  type PolicyInputs,
  type ProductionUnderCheck,
} from '../../../core/ground-truth/policy';
import type { VersionQuality } from '../../../core/ground-truth/quality';

const binaryConfig = (quality: ModelInput['quality'] = {}) =>
  defaultsFor({ name: 'churn', target: 'churned', positiveLabel: 'yes', quality }).quality;
const regressionConfig = (quality: ModelInput['quality'] = {}) =>
  defaultsFor({ name: 'price', target: 'price', quality }).quality;

/** Only what the policy reads: labeled and the judged metric. */
function measured(version: number, labeled: number, metric: { auc?: number | null; rmse?: number }): VersionQuality {
  return {
    version,
    labeled,
    unreadableLabels: 0,
    predictions: labeled,
    coverage: 1,
    labelDelaySeconds: null,
    ...(metric.rmse !== undefined ? { regression: { rmse: metric.rmse, mae: metric.rmse } } : {}),
    ...(metric.auc !== undefined
      ? {
          binary: {
            positives: 1,
            negatives: 1,
            auc: metric.auc,
            logLoss: 0.5,
            accuracy: 0.8,
            precision: 0.8,
            recall: 0.8,
            f1: 0.8,
            truePositives: 0,
            falsePositives: 0,
            trueNegatives: 0,
            falseNegatives: 0,
            calibration: [],
          },
        }
      : {}),
  };
}

function production(overrides: Partial<ProductionUnderCheck> = {}): ProductionUnderCheck {
  return {
    version: 2,
    validationMetric: 0.84,
    live: measured(2, 500, { auc: 0.83 }),
    movedBy: 'promote',
    previousVersion: 1,
    ...overrides,
  };
}

const binary = (inputs: Partial<PolicyInputs> = {}): PolicyInputs => ({
  task: 'binary',
  config: binaryConfig(),
  production: production(),
  ...inputs,
});

describe('quality policy', () => {
  it('acts on nothing below minLabeled outcomes, however bad the metric', () => {
    // given 150 outcomes (default minLabeled 200) and an AUC far under the floor
    const result = decideQualityActions(
      binary({
        config: binaryConfig({ minAuc: 0.7 }),
        production: production({ live: measured(2, 150, { auc: 0.5 }) }),
      }),
    );
    // then
    expect(result).toMatchObject({ status: 'not-enough-labels', alert: false, retrain: false, rollback: null });
    expect(result.decisions).toEqual([
      expect.objectContaining({ check: 'min-labeled', breached: true, value: 150, limit: 200 }),
    ]);
  });

  it('is ok when the live AUC is above the floor and within maxAucDrop of validation', () => {
    const result = decideQualityActions(binary({ config: binaryConfig({ minAuc: 0.7 }) }));
    expect(result).toMatchObject({ status: 'ok', alert: false, retrain: false, rollback: null, reasons: [] });
    expect(result.decisions.map((d) => [d.check, d.breached])).toEqual([
      ['min-labeled', false],
      ['floor', false],
      ['drop', false],
    ]);
  });

  it('alerts and retrains when the live AUC falls below quality.minAuc', () => {
    const result = decideQualityActions(
      binary({
        config: binaryConfig({ minAuc: 0.8, maxAucDrop: 0.5 }),
        production: production({ live: measured(2, 500, { auc: 0.75 }) }),
      }),
    );
    expect(result).toMatchObject({ status: 'degraded', alert: true, retrain: true, rollback: null });
    expect(result.decisions.find((d) => d.check === 'floor')).toMatchObject({
      breached: true,
      value: 0.75,
      limit: 0.8,
    });
    expect(result.reasons).toEqual(['live auc 0.75 < floor quality.minAuc 0.8']);
  });

  it('flags a drop of more than maxAucDrop against the version its own validation AUC', () => {
    // given validation 0.84, live 0.78: a drop of 0.06 > 0.05
    const result = decideQualityActions(binary({ production: production({ live: measured(2, 500, { auc: 0.78 }) }) }));
    const drop = result.decisions.find((d) => d.check === 'drop')!;
    expect(drop).toMatchObject({ breached: true, value: 0.78 });
    expect(drop.limit).toBeCloseTo(0.79, 12);
    expect(result).toMatchObject({ status: 'degraded', retrain: true });
  });

  it('records a drop but starts nothing when quality.alert and quality.retrain are off', () => {
    const result = decideQualityActions(
      binary({
        config: binaryConfig({ alert: false, retrain: false }),
        production: production({ live: measured(2, 500, { auc: 0.6 }) }),
      }),
    );
    expect(result).toMatchObject({ status: 'degraded', alert: false, retrain: false });
  });

  it('judges a regression model on RMSE against maxRmse and a rise of maxRmseRise', () => {
    // given validation rmse 10, live 13: a rise of 30% > 25%, under the 20 ceiling
    const result = decideQualityActions({
      task: 'regression',
      config: regressionConfig({ maxRmse: 20 }),
      production: production({ validationMetric: 10, live: measured(2, 500, { rmse: 13 }) }),
    });
    expect(result.decisions.map((d) => [d.check, d.breached])).toEqual([
      ['min-labeled', false],
      ['floor', false],
      ['drop', true],
    ]);
    expect(result.reasons[0]).toMatch(/live rmse 13 vs validation rmse 10: rise 0\.3 > quality\.maxRmseRise 0\.25/);
  });

  it('does not act when AUC is undefined because every outcome is of one class', () => {
    const result = decideQualityActions(binary({ production: production({ live: measured(2, 500, { auc: null }) }) }));
    expect(result.status).toBe('not-enough-labels');
    expect(result.decisions.at(-1)).toMatchObject({ check: 'measurable', breached: true });
  });

  describe('regression against the previous version', () => {
    const regressed = (config = binaryConfig({ rollbackOnRegression: true })) =>
      binary({
        config,
        production: production({ validationMetric: null, live: measured(2, 400, { auc: 0.8 }) }),
        predecessor: measured(1, 300, { auc: 0.85 }),
      });

    it('rolls back to the previous version when the promoted one measures worse by more than rollbackMargin', () => {
      const result = decideQualityActions(regressed());
      expect(result).toMatchObject({ status: 'regressed', alert: true, retrain: false });
      expect(result.rollback).toEqual({ from: 2, to: 1, reason: expect.stringMatching(/^version 2 live auc 0.8/) });
    });

    it('only alerts on a regression when rollbackOnRegression is off (the default)', () => {
      const result = decideQualityActions(regressed(binaryConfig()));
      expect(result).toMatchObject({ status: 'regressed', alert: true, rollback: null });
    });

    it('does not roll back within the margin', () => {
      const result = decideQualityActions(
        binary({
          config: binaryConfig({ rollbackOnRegression: true, rollbackMargin: 0.02 }),
          production: production({ validationMetric: null, live: measured(2, 400, { auc: 0.835 }) }),
          predecessor: measured(1, 300, { auc: 0.85 }),
        }),
      );
      expect(result).toMatchObject({ status: 'ok', rollback: null });
      expect(result.decisions.find((d) => d.check === 'regression')).toMatchObject({ breached: false });
    });

    it('does not compare when the predecessor has fewer than minLabeled outcomes', () => {
      const result = decideQualityActions({ ...regressed(), predecessor: measured(1, 199, { auc: 0.95 }) });
      expect(result.decisions.some((d) => d.check === 'regression')).toBe(false);
      expect(result.rollback).toBeNull();
    });

    it('never rolls back a version production was rolled back to (no toggling)', () => {
      const inputs = regressed();
      const result = decideQualityActions({ ...inputs, production: { ...inputs.production, movedBy: 'rollback' } });
      expect(result.rollback).toBeNull();
    });

    it('compares RMSE as a share for regression models', () => {
      const result = decideQualityActions({
        task: 'regression',
        config: regressionConfig({ rollbackOnRegression: true, rollbackMargin: 0.05 }),
        production: production({ validationMetric: null, live: measured(2, 400, { rmse: 11 }) }),
        predecessor: measured(1, 300, { rmse: 10 }),
      });
      expect(result.rollback).toMatchObject({ from: 2, to: 1 });
    });
  });
});

describe('the drop check and sampling noise', () => {
  /** A live measurement with its class counts. */
  function live(auc: number, positives: number, negatives: number): VersionQuality {
    const base = measured(2, positives + negatives, { auc });
    return { ...base, binary: { ...base.binary!, positives, negatives } };
  }
  const smallValidation = { positives: 20, negatives: 60 };

  it('computes the Hanley-McNeil standard error of an AUC', () => {
    // AUC 0.8 on 50 + 50 rows: q1 = 2/3, q2 = 0.7111; variance 4.9511 / 2500.
    expect(aucStandardError(0.8, 50, 50)).toBeCloseTo(Math.sqrt(4.951111 / 2500), 5);
    expect(aucStandardError(0.8, 0, 50)).toBeNaN();
  });

  it('does not call a healthy model degraded for a small validation split that measured high', () => {
    // The end-to-end test's numbers: 0.904 on 80 held-out rows, 0.785 on 310 live outcomes.
    const result = decideQualityActions(
      binary({
        production: production({
          validationMetric: 0.904,
          validationCounts: smallValidation,
          live: live(0.785, 80, 230),
        }),
      }),
    );
    const drop = result.decisions.find((d) => d.check === 'drop')!;
    expect(drop.breached).toBe(false);
    expect(drop.message).toContain('+ sampling noise');
    expect(result.status).toBe('ok');
  });

  it('still calls a drop beyond the noise degraded', () => {
    const result = decideQualityActions(
      binary({
        production: production({
          validationMetric: 0.904,
          validationCounts: smallValidation,
          live: live(0.6, 80, 230),
        }),
      }),
    );
    expect(result.decisions.find((d) => d.check === 'drop')!.breached).toBe(true);
    expect(result.status).toBe('degraded');
  });

  it('without recorded validation counts (older artifacts) compares as before, with no allowance', () => {
    const result = decideQualityActions(
      binary({ production: production({ validationMetric: 0.904, live: live(0.785, 80, 230) }) }),
    );
    expect(result.decisions.find((d) => d.check === 'drop')!.breached).toBe(true);
  });
});
