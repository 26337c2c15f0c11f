import { modelFromJson, trainLearner } from '../../../core/learners/catalog';
import { rowOf, trainInput, xorProblem } from './helpers';

describe('learner registry', () => {
  const train = xorProblem(400, 1);
  const validation = xorProblem(100, 2);

  it.each(['gbdt', 'linear'] as const)('trains %s by name and rebuilds it from its kind and JSON', (name) => {
    // Given a model trained through the registry
    const model = trainLearner(
      name,
      trainInput('binary', train, validation),
      name === 'gbdt' ? { nEstimators: 5 } : {},
    );
    // When rebuilt from its stored kind and JSON
    const rebuilt = modelFromJson(model.kind, JSON.parse(JSON.stringify(model.json)), model.features);
    // Then it is the same kind and scores the same
    expect(rebuilt.kind).toBe(name);
    const row = rowOf(validation.matrix, 0);
    expect(rebuilt.predictRow(row)).toBe(model.predictRow(row));
  });

  it('names the unknown kind and the known kinds', () => {
    expect(() => modelFromJson('forest', {}, [])).toThrow('unknown model kind "forest"; known kinds: gbdt, linear');
  });

  it('rejects an unknown learner name', () => {
    expect(() => trainLearner('svm' as never, trainInput('binary', train, validation))).toThrow(
      'unknown learner "svm"; known learners: gbdt, linear',
    );
  });
});
