import * as z from 'zod';
import { LEARNERS, PROBLEM_TYPES } from './schema';

/**
 * MLOPS_TRAIN_PARAMS (TRAINER_ENV.params): the JSON object the CDK app and the local platform
 * give the trainer (`trainerParamsFor` builds it from the config; containers/trainer/trainer.ts
 * parses it). One name inside the platform, `validationFraction`, as the trainer, the split and
 * the artifact's stored params call it; the config's user-facing `params.validationShare` maps to
 * it in `trainerParamsFor` only.
 */

/** Learners with their own parameter block (`auto` is a choice between them, not a learner). */
export const TUNABLE_LEARNERS = LEARNERS.filter(
  (learner): learner is Exclude<(typeof LEARNERS)[number], 'auto'> => learner !== 'auto',
);

export const trainerParamsSchema = z
  .object({
    task: z.enum(PROBLEM_TYPES).optional(),
    /** Absent: all usable columns. */
    features: z.array(z.string()).optional(),
    learner: z.enum(LEARNERS).optional(),
    seed: z.number().int().optional(),
    /** Share of rows held out for validation (the config's `params.validationShare`). */
    validationFraction: z.number().optional(),
    /** Seconds the settings search may run after each learner's defaults (core/train/search.ts). */
    timeBudgetSeconds: z.number().min(0).optional(),
    /** Refit the chosen settings after selection (the config's `params.refit`). */
    refit: z.boolean().optional(),
    /** Per learner, e.g. `{ gbdt: { maxDepth: 4 } }`; keys are free so a bring-your-own image may add learners. */
    learnerParams: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();
export type TrainerParams = z.infer<typeof trainerParamsSchema>;
