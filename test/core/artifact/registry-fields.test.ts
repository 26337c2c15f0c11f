import { artifactMetrics, artifactParameters } from '../../../core/artifact/registry-fields';
import { trainChurnArtifact } from '../../lambdas/inference/fixtures';

describe('artifact registry fields', () => {
  const artifact = trainChurnArtifact({ rows: 300 });

  it("keeps the trainer's parameters and adds the learner it chose", () => {
    expect(artifactParameters(artifact)).toEqual({ ...artifact.params, chosenLearner: artifact.model.kind });
  });

  it('keeps only the finite validation metrics, which JSON can carry', () => {
    const withNaN = { ...artifact, metrics: { ...artifact.metrics, validation: { auc: 0.8, logLoss: Number.NaN } } };
    expect(artifactMetrics(withNaN as typeof artifact)).toEqual({ auc: 0.8 });
  });
});
