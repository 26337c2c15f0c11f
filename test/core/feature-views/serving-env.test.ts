import { FEATURE_TABLE_ENV } from '../../../core/feature-views/layout';
import { FEATURE_VIEW_ENV, servingFeatureViewFromEnv } from '../../../core/feature-views/serving-env';

const VIEW = JSON.stringify({ name: 'customer', entityKey: 'customer_id' });

describe('servingFeatureViewFromEnv', () => {
  it('is undefined for a model without a view, whatever the environment holds', () => {
    expect(servingFeatureViewFromEnv(undefined, { [FEATURE_TABLE_ENV]: 't' })).toBeUndefined();
  });

  it('reads the view with its defaults and the table', () => {
    const result = servingFeatureViewFromEnv('customer', { [FEATURE_TABLE_ENV]: 'features', [FEATURE_VIEW_ENV]: VIEW });
    expect(result).toMatchObject({ table: 'features', view: { name: 'customer', onMissingEntity: 'impute' } });
  });

  it('names both variables when neither is set', () => {
    expect(() => servingFeatureViewFromEnv('customer', {})).toThrow(
      /MLOPS_FEATURE_TABLE: is not set: the model reads feature view "customer"[\s\S]*MLOPS_FEATURE_VIEW: is not set/,
    );
  });

  it('refuses a view of another name', () => {
    expect(() =>
      servingFeatureViewFromEnv('store', { [FEATURE_TABLE_ENV]: 'features', [FEATURE_VIEW_ENV]: VIEW }),
    ).toThrow('MLOPS_FEATURE_VIEW: holds view "customer", the model reads "store"');
  });

  it('refuses a view that is not valid', () => {
    expect(() =>
      servingFeatureViewFromEnv('customer', {
        [FEATURE_TABLE_ENV]: 'features',
        [FEATURE_VIEW_ENV]: '{"name":"customer"}',
      }),
    ).toThrow(/MLOPS_FEATURE_VIEW: is not a feature view/);
  });
});
