import { readTrainerJob } from '../../../containers/trainer/trainer';
import { defaultsFor } from '../../../core/config/parse';
import { trainerParamsFor } from '../../../core/config/runtime-env';
import { LEARNERS, PROBLEM_TYPES } from '../../../core/config/schema';
import { trainerParamsSchema } from '../../../core/config/trainer-params';
import { TRAINER_ENV } from '../../../core/workflow/contract';

const jobEnv = (params: unknown) => ({
  [TRAINER_ENV.model]: 'churn',
  [TRAINER_ENV.runId]: 'run-1',
  [TRAINER_ENV.input]: 's3://curated/churn/snapshots/abc.csv',
  [TRAINER_ENV.output]: 's3://artifacts/runs/churn/run-1/candidate/',
  [TRAINER_ENV.target]: 'churned',
  [TRAINER_ENV.params]: JSON.stringify(params),
});

describe('trainer parameters (MLOPS_TRAIN_PARAMS)', () => {
  it("carries the config's timeBudgetSeconds to the trainer", () => {
    const model = defaultsFor({ name: 'churn', target: 'churned', params: { timeBudgetSeconds: 5 } });
    expect(readTrainerJob(jobEnv(trainerParamsFor(model))).params.timeBudgetSeconds).toBe(5);
  });

  it("cannot tell the Batch trainer to train on the gate's hold-out", () => {
    expect(() => readTrainerJob(jobEnv({ refitIncludesHoldOut: true }))).toThrow(/refitIncludesHoldOut|Unrecognized/);
  });

  it("carries the config's validationShare to the trainer as validationFraction", () => {
    const model = defaultsFor({
      name: 'churn',
      target: 'churned',
      positiveLabel: 'yes',
      params: { validationShare: 0.3 },
    });
    const job = readTrainerJob(jobEnv(trainerParamsFor(model)));
    expect(job.params.validationFraction).toBe(0.3);
  });

  it.each(PROBLEM_TYPES.flatMap((task) => LEARNERS.map((learner) => [task, learner] as const)))(
    'the trainer reads what the config builds for a %s model with learner %s',
    (task, learner) => {
      const model = defaultsFor({
        name: 'm',
        target: 'y',
        problemType: task,
        ...(task === 'binary' ? { positiveLabel: 'yes' } : {}),
        learner,
        params: { gbdt: { trees: 10 }, linear: { l2: 0.1 } },
      });
      const params = trainerParamsFor(model);
      expect(readTrainerJob(jobEnv(params)).params).toEqual(params);
    },
  );

  it("refuses the config's name validationShare: inside the platform the setting has one name", () => {
    expect(() => readTrainerJob(jobEnv({ validationShare: 0.2 }))).toThrow(
      /MLOPS_TRAIN_PARAMS\.: Unrecognized key: "validationShare"/,
    );
  });

  it('takes its task and learner lists from the config', () => {
    expect(trainerParamsSchema.shape.task.unwrap().options).toEqual([...PROBLEM_TYPES]);
    expect(trainerParamsSchema.shape.learner.unwrap().options).toEqual([...LEARNERS]);
  });
});
