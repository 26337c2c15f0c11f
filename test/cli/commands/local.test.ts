import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../cli/main';
import { writeBuiltInData } from '../../../local/built-in-data';
import { writePlatformInfo } from '../../../local/platform';
import { captureIo } from '../../support/cli-io';

/** A platform.json as `mlops local start` writes it, with the built-in data files on disk. */
function stoppedPlatform() {
  const dataDir = mkdtempSync(join(tmpdir(), 'mlops-local-info-'));
  const builtInData = writeBuiltInData(join(dataDir, 'data'), 2000);
  writePlatformInfo(dataDir, {
    s3Endpoint: 'http://127.0.0.1:4566',
    awsEndpoint: 'http://127.0.0.1:4599',
    httpUrl: 'http://127.0.0.1:3000',
    buckets: {
      raw: 'mlops-raw',
      curated: 'mlops-curated',
      artifacts: 'mlops-artifacts',
      monitoring: 'mlops-monitoring',
    },
    models: [
      {
        name: 'churn',
        endpoint: 'http://127.0.0.1:3000/churn/',
        feedback: 'http://127.0.0.1:3000/churn/feedback',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:churn',
      },
    ],
    dataDir,
    builtInData,
    pid: null,
  });
  return { dataDir, builtInData };
}

describe('mlops local info', () => {
  test('--json prints a few KB that list the data paths, not the data', async () => {
    // given a platform that wrote its info beside 2,000-row data files (hundreds of KB each)
    const { dataDir, builtInData } = stoppedPlatform();
    // when its info is printed as JSON
    const run = captureIo();
    expect(await main(['local', 'info', '--json', '--data-dir', dataDir], run.io)).toBe(0);
    // then the output is small and names the files
    const text = run.out.join('');
    expect(Buffer.byteLength(text)).toBeLessThan(4096);
    expect(JSON.parse(text).models[0].feedback).toBe('http://127.0.0.1:3000/churn/feedback');
    expect(JSON.parse(text).builtInData).toEqual({
      v1Path: builtInData.v1Path,
      v2Path: builtInData.v2Path,
      corruptPath: builtInData.corruptPath,
      rows: 2000,
      exampleInstance: builtInData.exampleInstance,
      customerFeaturesPath: builtInData.customerFeaturesPath,
      entityOnlyInstance: { customer_id: 'C000001' },
    });
  });

  test('the human form lists the endpoints and the built-in data paths in a few lines', async () => {
    // given the same platform
    const { dataDir, builtInData } = stoppedPlatform();
    // when its info is printed for a person
    const run = captureIo();
    expect(await main(['local', 'info', '--data-dir', dataDir], run.io)).toBe(0);
    // then each data file has its own line and nothing is long
    const lines = run.out.join('').trim().split('\n');
    expect(lines[0]).toBe(`local platform not running; data in ${dataDir}`);
    expect(lines).toContain(
      'model churn: http://127.0.0.1:3000/churn/ (feedback: POST http://127.0.0.1:3000/churn/feedback)',
    );
    expect(lines).toContain(`  later batch:   ${builtInData.v2Path}`);
    expect(lines).toContain(`  corrupt file:  ${builtInData.corruptPath}`);
    expect(lines).toContain(`  customer view: ${builtInData.customerFeaturesPath}`);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(300);
  });

  test('a platform.json from an older version, with the data bytes in it, still prints only paths', async () => {
    // given a platform.json that carries the first batch's bytes as older versions wrote them
    const { dataDir, builtInData } = stoppedPlatform();
    const file = join(dataDir, 'platform.json');
    const old = JSON.parse(readFileSync(file, 'utf8'));
    old.builtInData.v1Bytes = readFileSync(builtInData.v1Path).toJSON();
    writeFileSync(file, JSON.stringify(old));
    // when its info is printed as JSON
    const run = captureIo();
    expect(await main(['local', 'info', '--json', '--data-dir', dataDir], run.io)).toBe(0);
    // then the bytes are left out
    expect(Buffer.byteLength(run.out.join(''))).toBeLessThan(4096);
  });
});
