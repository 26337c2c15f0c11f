/**
 * A grant the end-to-end flow needs, removed: the local platform, which enforces the synthesized
 * template's IAM, must then fail that flow with AccessDenied naming the role, the action and the
 * resource, as AWS would on the first real run.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { churnCsv } from '../../core/datasets/churn';
import { withoutAction } from '../../core/local/template-iam';
import type { Platform } from '../../local/platform';
import { settleRuns, startTestPlatform } from '../support/local-platform';
import { requireTool, TOOLS } from '../support/tools';

const AWS_CLI = requireTool(TOOLS.aws, 'the IAM test with the AWS CLI') ?? '';
const itWithAwsCli = AWS_CLI ? it : it.skip;

let dataDir: string;
let platform: Platform;
let client: S3Client;
const lines: string[] = [];
let roleIds: string[] = [];

/** The inference function's role, by its construct path (construct ids are a public contract). */
const ENDPOINT_ROLE = /^churnEndpointFunctionRole[0-9A-F]{8}$/;

beforeAll(async () => {
  ({ platform, client, dataDir } = await startTestPlatform({
    project: 'iam-mutation',
    batchingWindowMs: 300,
    platform: {
      log: (line) => lines.push(line),
      adjustIam: (iam) => {
        roleIds = [...iam.roles.keys()];
        const role = [...iam.roles.keys()].find((id) => ENDPOINT_ROLE.test(id));
        if (!role) throw new Error(`no endpoint role among ${[...iam.roles.keys()].join(', ')}`);
        return withoutAction(iam, role, 's3:GetObject');
      },
    },
  }));
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await platform?.close();
  if (!process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });
});

function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the inference role without its registry read', () => {
  it('trains and registers (other roles keep their grants), then cannot serve: AccessDenied names the read', async () => {
    // given a model trained and registered by roles that keep their grants
    await client.send(
      new PutObjectCommand({
        Bucket: platform.info.buckets.raw,
        Key: 'churn/v1.csv',
        Body: churnCsv({ rows: 300, seed: 1 }),
      }),
    );
    await settleRuns(platform);
    expect(platform.stepFunctions.all().map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    // when the endpoint is asked for a prediction
    const row = { tenure_months: 3, monthly_charges: 80, contract: 'month-to-month', support_calls: 4 };
    const response = await post(`${platform.info.httpUrl}/churn/predict`, JSON.stringify({ instances: [row] }));
    // then it cannot load the model, and the platform log says which grant was missing
    expect(response.status).not.toBe(200);
    const denial = lines.find((line) => line.startsWith('IAM: AccessDenied for role churnEndpointFunctionRole'));
    expect(denial).toMatch(
      new RegExp(
        `not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::${platform.info.buckets.artifacts}/registry/churn/`,
      ),
    );
  }, 300_000);

  itWithAwsCli(
    'refuses the AWS CLI signed with a role key the call its role lacks, with AccessDenied',
    async () => {
      // given the AWS CLI signing as the drift monitor's role (its key names the role)
      const role = roleIds.find((id) => /^churnDriftMonitorFunctionRole/.test(id));
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: `local-role-${role}`,
        AWS_SECRET_ACCESS_KEY: `local-role-${role}`,
        AWS_DEFAULT_REGION: 'us-east-1',
      };
      const aws = (...args: string[]) =>
        promisify(execFile)(AWS_CLI, ['--endpoint-url', platform.info.s3Endpoint, ...args], { env });
      // then it may list its captures, but not read the raw upload
      await aws('s3api', 'list-objects-v2', '--bucket', platform.info.buckets.monitoring, '--prefix', 'capture/churn/');
      await expect(aws('s3', 'cp', `s3://${platform.info.buckets.raw}/churn/v1.csv`, '-')).rejects.toMatchObject({
        stderr: expect.stringMatching(/\(403\)|AccessDenied|Forbidden/),
      });
      expect(
        lines.some((line) => line.includes(`IAM: AccessDenied for role ${role}`) && line.includes('s3:GetObject')),
      ).toBe(true);
    },
    60_000,
  );
});
