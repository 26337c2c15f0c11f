/**
 * Fault injection over every write of register, promote, rollback and reject: for each write an
 * operation makes, a crash before it, a crash after it, or a lost conditional write; then the
 * operation is run again (as Step Functions retries a step, or a person re-runs a command) and
 * the registry's invariants are checked, both in the state the fault left and after the re-run.
 */
import { PRODUCTION_ALIAS } from '../../../core/registry/records';
import { ModelRegistry } from '../../../core/registry/registry';
import { listRuns } from '../../../core/runs/run-record';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import type { EvaluationResult, ValidationResult } from '../../../core/workflow/contract';
import { evaluateStep } from '../../../lambdas/evaluate-model/evaluate';
import { registerStep } from '../../../lambdas/register-model/register';
import {
  churnData,
  memoryStepDeps,
  STRONG_FEATURES,
  type StepDeps,
  validateAndTrain,
  WEAK_FEATURES,
} from '../../lambdas/fixtures/workflow';
import { copyStore, FAULTS, type Fault, FaultyStore } from '../../support/faulty-store';

const MODEL = 'churn';

interface Run {
  readonly validation: ValidationResult;
  readonly evaluation: EvaluationResult;
}

/**
 * What must hold in every state the registry can be left in, mid-failure or not:
 * - production points at a committed version whose artifact verifies and which is not rejected;
 * - the alias history is gap-free, each move starts where the previous one ended, and it ends at
 *   the alias object;
 * - every promotion a run made replaced exactly the champion that run's gate compared against;
 * - run records agree with the registry: a run that says it promoted has its promotion in the
 *   history, and a registered version's lineage names its run; no run registered two versions.
 */
async function expectInvariants(artifacts: ObjectStore): Promise<void> {
  const registry = new ModelRegistry({ store: artifacts });
  const production = await registry.resolveAlias(MODEL, PRODUCTION_ALIAS);
  const versions = await registry.listVersions(MODEL);
  if (production) {
    const serving = versions.find((version) => version.version === production.version);
    expect(serving).toBeDefined();
    expect(serving?.approval.status).not.toBe('rejected');
    await expect(registry.getArtifact(MODEL, production.version)).resolves.not.toBeNull();
  }
  const history = await registry.aliasHistory(MODEL, PRODUCTION_ALIAS);
  history.forEach((entry, index) => {
    expect(entry.sequence).toBe(index + 1);
    expect(entry.previousVersion).toBe(index === 0 ? null : history[index - 1]!.version);
  });
  expect(history.at(-1)?.version ?? null).toBe(production?.version ?? null);

  const runs = await listRuns(artifacts, MODEL);
  for (const entry of history.filter((move) => move.kind === 'promote' && move.runId)) {
    const run = runs.find((record) => record.runId === entry.runId);
    expect(run?.gate?.championVersion).toBe(entry.previousVersion);
  }
  for (const run of runs) {
    if (run.promoted) {
      expect(history.some((move) => move.runId === run.runId && move.version === run.registeredVersion)).toBe(true);
    }
    if (run.registeredVersion !== null) {
      expect(versions.find((version) => version.version === run.registeredVersion)?.lineage.runId).toBe(run.runId);
    }
    expect(versions.filter((version) => version.lineage.runId === run.runId).length).toBeLessThanOrEqual(1);
  }
}

async function evaluatedRun(deps: StepDeps, key: string, seed: number, features: readonly string[]): Promise<Run> {
  const validation = await validateAndTrain(deps, key, churnData(800, seed), features);
  return { validation, evaluation: await evaluateStep({ model: MODEL, validation }, deps) };
}

/** The world each fault starts from: a copy of a prepared artifacts zone behind a FaultyStore. */
async function worldFrom(prepared: ObjectStore): Promise<{ deps: StepDeps; store: FaultyStore }> {
  const copy = new MemoryObjectStore(prepared.bucket);
  await copyStore(prepared, copy);
  const store = new FaultyStore(copy);
  return { deps: { ...memoryStepDeps(), artifacts: store }, store };
}

interface Scenario {
  readonly name: string;
  /** The prepared artifacts zone it starts from. */
  readonly from: () => ObjectStore;
  readonly operation: (deps: StepDeps) => Promise<unknown>;
  /** What the registry looks like once the operation completed (after its re-run). */
  readonly expectDone: (deps: StepDeps) => Promise<void>;
}

let second: Run;
/** v1 production (run 1); run 2 trained and evaluated against v1, gate says promote. */
let beforeRegister: ObjectStore;
/** As above, then run 2 registered and promoted: v2 production. */
let secondServing: ObjectStore;
/** As beforeRegister, then run 2 registered with the gate saying reject: v2 pending, v1 production. */
let secondPending: ObjectStore;

beforeAll(async () => {
  const deps = memoryStepDeps();
  const first = await evaluatedRun(deps, 'churn/a.csv', 21, WEAK_FEATURES);
  await registerStep({ model: MODEL, ...first }, deps);
  second = await evaluatedRun(deps, 'churn/b.csv', 22, STRONG_FEATURES);
  expect(second.evaluation).toMatchObject({ decision: 'promote', championVersion: 1 });
  beforeRegister = deps.artifacts;

  secondServing = new MemoryObjectStore(deps.artifacts.bucket);
  await copyStore(beforeRegister, secondServing);
  await registerStep({ model: MODEL, ...second }, { ...deps, artifacts: secondServing });

  secondPending = new MemoryObjectStore(deps.artifacts.bucket);
  await copyStore(beforeRegister, secondPending);
  const rejected = { ...second.evaluation, decision: 'reject' as const };
  await registerStep(
    { model: MODEL, validation: second.validation, evaluation: rejected },
    { ...deps, artifacts: secondPending },
  );
});

const registry = (deps: StepDeps) => new ModelRegistry({ store: deps.artifacts, backoff: async () => undefined });
const productionOf = async (deps: StepDeps) => (await registry(deps).resolveAlias(MODEL, PRODUCTION_ALIAS))?.version;
const versionOfSecondRun = async (deps: StepDeps) =>
  (await registry(deps).listVersions(MODEL)).find((version) => version.lineage.runId === second.validation.runId);

const scenarios: readonly Scenario[] = [
  {
    name: 'register step promoting a candidate',
    from: () => beforeRegister,
    operation: (deps) => registerStep({ model: MODEL, ...second }, deps),
    expectDone: async (deps) => {
      const version = await versionOfSecondRun(deps);
      expect(await productionOf(deps)).toBe(version?.version);
      const [record] = (await listRuns(deps.artifacts, MODEL)).filter((run) => run.runId === second.validation.runId);
      expect(record).toMatchObject({ outcome: 'succeeded', promoted: true, registeredVersion: version?.version });
    },
  },
  {
    name: 'register step keeping a rejected candidate',
    from: () => beforeRegister,
    operation: (deps) =>
      registerStep(
        { model: MODEL, validation: second.validation, evaluation: { ...second.evaluation, decision: 'reject' } },
        deps,
      ),
    expectDone: async (deps) => {
      expect(await productionOf(deps)).toBe(1);
      expect((await versionOfSecondRun(deps))?.approval.status).toBe('pending');
    },
  },
  {
    name: 'promotion by hand',
    from: () => secondPending,
    operation: (deps) => registry(deps).promote(MODEL, 2, PRODUCTION_ALIAS, { actor: 'alice' }),
    expectDone: async (deps) => expect(await productionOf(deps)).toBe(2),
  },
  {
    name: 'rollback to a named version',
    from: () => secondServing,
    operation: (deps) => registry(deps).rollback(MODEL, { to: 1, actor: 'alice' }),
    expectDone: async (deps) => expect(await productionOf(deps)).toBe(1),
  },
  {
    name: 'rejecting the production version',
    from: () => secondServing,
    operation: (deps) => registry(deps).setApproval(MODEL, 2, 'rejected', { actor: 'alice' }),
    expectDone: async (deps) => {
      expect(await productionOf(deps)).toBe(1);
      expect((await registry(deps).getApproval(MODEL, 2)).status).toBe('rejected');
    },
  },
];

describe.each(scenarios)('$name', (scenario) => {
  let writes: number;
  beforeAll(async () => {
    const { deps, store } = await worldFrom(scenario.from());
    await scenario.operation(deps);
    writes = store.writes;
  });

  it('makes at least one write to inject faults into', () => {
    expect(writes).toBeGreaterThan(0);
  });

  it.each(FAULTS)('keeps the invariants with a %s at every write, and a re-run completes it', async (fault: Fault) => {
    for (let at = 0; at < writes; at += 1) {
      // given
      const { deps, store } = await worldFrom(scenario.from());
      store.arm(at, fault);
      // when
      await scenario.operation(deps).catch(() => undefined);
      store.disarm();
      // then (what the fault left is consistent, and serving sees a whole model)
      await expectInvariants(store);
      // when (the step is retried, or the person runs the command again)
      await scenario.operation(deps);
      // then
      await expectInvariants(store);
      await scenario.expectDone(deps);
    }
  });
});
