import type { ModelArtifact } from '../../../core/artifact/format';
import { defaultsFor } from '../../../core/config/parse';
import {
  artifactFeatures,
  checkImportedCandidate,
  configuredHeldOutSplit,
  EXTERNAL_ARTIFACT,
  importedOrigin,
} from '../../../core/workflow/imported-candidate';

const churn = defaultsFor({ name: 'churn', target: 'churned', positiveLabel: 'yes' });

/** The parts of an artifact the checks read. */
function artifact(overrides: { target?: Partial<ModelArtifact['target']>; features?: string[] } = {}): ModelArtifact {
  const features = overrides.features ?? ['tenure_months', 'plan'];
  return {
    target: { name: 'churned', task: 'binary', positiveLabel: 'yes', negativeLabel: 'no', ...overrides.target },
    schema: {
      target: 'churned',
      rowCount: 10,
      columns: [
        ...features.map((name) => ({
          name,
          type: 'numeric' as const,
          role: 'feature' as const,
          missingRate: 0,
          uniqueCount: 5,
        })),
        { name: 'customer_id', type: 'categorical', role: 'excluded', missingRate: 0, uniqueCount: 10 },
        { name: 'churned', type: 'categorical', role: 'target', missingRate: 0, uniqueCount: 2 },
      ],
    },
  } as unknown as ModelArtifact;
}

const data = { key: 'churn/v1.csv', columns: ['customer_id', 'tenure_months', 'plan', 'churned'] };

describe('checkImportedCandidate', () => {
  it('accepts an artifact that predicts the model target from columns the data has', () => {
    expect(() => checkImportedCandidate(artifact(), churn, data)).not.toThrow();
  });

  it('names both targets when the artifact predicts another column', () => {
    expect(() => checkImportedCandidate(artifact({ target: { name: 'left' } }), churn, data)).toThrow(
      'the imported artifact predicts "left", but model churn predicts "churned"; import it with --target churned, or register it under the model it was made for',
    );
  });

  it('refuses a regression artifact for a binary model', () => {
    expect(() => checkImportedCandidate(artifact({ target: { task: 'regression' } }), churn, data)).toThrow(
      'the imported artifact is a regression model, but model churn is a binary model',
    );
  });

  it('refuses an artifact whose positive class is another label', () => {
    expect(() => checkImportedCandidate(artifact({ target: { positiveLabel: 'no' } }), churn, data)).toThrow(
      /takes "no" as the positive class of churned, but model churn takes "yes"/,
    );
  });

  it('names the features the validated data lacks, and how many', () => {
    const wide = artifact({ features: ['tenure_months', 'loyalty_points', 'referrals'] });
    expect(() => checkImportedCandidate(wide, churn, data, 'model.json')).toThrow(
      'model.json reads 2 feature(s) the validated data churn/v1.csv does not have: loyalty_points, referrals; ' +
        'upload data with those columns first, or import the model with feature names that match the data',
    );
  });

  it('lists at most 20 missing feature names in its one line', () => {
    const wide = artifact({ features: Array.from({ length: 25 }, (_, i) => `f${i}`) });
    expect(() => checkImportedCandidate(wide, churn, data)).toThrow(/: f0, f1, .*, f19 and 5 more;/);
  });
});

describe('importedOrigin', () => {
  it('reads the framework, source file and its hash that mlops import records', () => {
    const imported = {
      framework: 'xgboost' as const,
      modelFile: 'model.json',
      modelSha256: 'c'.repeat(64),
      objective: 'binary:logistic',
      featureNamesFrom: 'model' as const,
      parity: { status: 'unmeasured' as const, rows: 0, maxAbsDifference: null, worstRow: null, expectedFrom: '-' },
    };
    expect(importedOrigin({ imported })).toEqual({
      source: 'xgboost',
      sourceFileSha256: 'c'.repeat(64),
      sourceFile: 'model.json',
    });
  });

  it('calls any other artifact (one mlops train made) an external artifact', () => {
    expect(importedOrigin({})).toEqual({ source: EXTERNAL_ARTIFACT });
  });
});

describe('configuredHeldOutSplit', () => {
  it('is the seed and validation share a trained candidate of the model is gated on', () => {
    expect(configuredHeldOutSplit(churn)).toEqual({ seed: 42, validationFraction: 0.2 });
    const custom = defaultsFor({ ...churn, params: { seed: 7, validationShare: 0.3 } });
    expect(configuredHeldOutSplit(custom)).toEqual({ seed: 7, validationFraction: 0.3 });
  });
});

it('artifactFeatures lists the input columns with the feature role only', () => {
  expect(artifactFeatures(artifact())).toEqual(['tenure_months', 'plan']);
});
