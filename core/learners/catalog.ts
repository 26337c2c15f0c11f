/** One entry point to train any learner by name and to rebuild any stored model by its kind. */
import type { FeatureInfo } from '../features/matrix';
import { type GbdtParams, gbdtFromJson, trainGbdt } from './gbdt';
import { type LinearParams, linearFromJson, trainLinear } from './linear';
import { treesFromJson } from './trees';
import type { FittedModel, TrainInput } from './types';

export type LearnerName = 'gbdt' | 'linear';

export interface LearnerParams {
  gbdt: Partial<GbdtParams>;
  linear: Partial<LinearParams>;
}

const trainers: { [K in LearnerName]: (input: TrainInput, params?: LearnerParams[K]) => FittedModel } = {
  gbdt: trainGbdt,
  linear: trainLinear,
};

const loaders: Record<string, (json: unknown, features: readonly FeatureInfo[]) => FittedModel> = {
  gbdt: gbdtFromJson,
  linear: linearFromJson,
  /** Imported forests (XGBoost, LightGBM): `mlops import`, core/import. Never trained here. */
  trees: treesFromJson,
};

export const LEARNER_NAMES: readonly LearnerName[] = ['gbdt', 'linear'];

export function trainLearner<K extends LearnerName>(
  name: K,
  input: TrainInput,
  params?: LearnerParams[K],
): FittedModel {
  const train = trainers[name] as ((input: TrainInput, params?: LearnerParams[K]) => FittedModel) | undefined;
  if (!train) throw new Error(`unknown learner "${String(name)}"; known learners: ${LEARNER_NAMES.join(', ')}`);
  return train(input, params);
}

/** Rebuilds a model from the JSON stored in an artifact; `kind` is the FittedModel's `kind`. */
export function modelFromJson(kind: string, json: unknown, features: readonly FeatureInfo[]): FittedModel {
  const load = Object.hasOwn(loaders, kind) ? loaders[kind] : undefined;
  if (!load) throw new Error(`unknown model kind "${kind}"; known kinds: ${Object.keys(loaders).join(', ')}`);
  return load(json, features);
}
