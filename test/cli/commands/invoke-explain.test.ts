/**
 * `mlops invoke --explain` against the real endpoint code (InferenceApp behind the local Function
 * URL server) prints the explanation columns `mlops predict --explain` writes for the same rows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../cli/main';
import { serializeArtifact } from '../../../core/artifact/format';
import { formatCsv, parseCsv } from '../../../core/data/csv';
import { type DataTable, tableFromRecords } from '../../../core/data/table';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { trainModel } from '../../../core/train/train';
import { classifyInferenceError, InferenceApp } from '../../../lambdas/inference/app';
import { inProcessBackend } from '../../../lambdas/inference/predict';
import { toHttpResponse } from '../../../lambdas/shared/error-middleware';
import { type FunctionUrlServer, startFunctionUrlServer } from '../../../local/function-url-server';
import { churnRecords, MODEL, publish, testConfig } from '../../lambdas/inference/fixtures';
import { captureIo } from '../../support/cli-io';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function shapColumns(table: DataTable): Array<[string, number[]]> {
  return table.columnNames.flatMap((name, c) =>
    name.startsWith('shap_') ? [[name, table.columns[c].map((cell) => Number(cell))] as [string, number[]]] : [],
  );
}

describe('mlops invoke --explain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-invoke-explain-'));
  let server: FunctionUrlServer;
  const artifactPath = join(dir, 'model.json');
  const dataPath = join(dir, 'rows.csv');

  beforeAll(async () => {
    // Given a GBDT (with a categorical plan column and gaps in age) served by the endpoint code
    const artifact = trainModel(tableFromRecords(churnRecords(500, 5)), {
      target: 'churned',
      positiveLabel: 'yes',
      learner: 'gbdt',
      learnerParams: { gbdt: { nEstimators: 20, maxDepth: 4 } },
      seed: 42,
      dataSha256: 'd'.repeat(64),
      createdAt: '2026-12-07T10:00:00.000Z',
    });
    writeFileSync(artifactPath, serializeArtifact(artifact));
    const artifacts = new MemoryObjectStore('artifacts');
    await publish(artifacts, artifact);
    const app = new InferenceApp({
      config: testConfig(),
      artifacts,
      monitoring: new MemoryObjectStore('monitoring'),
      backend: inProcessBackend,
      logger: silent,
    });
    server = await startFunctionUrlServer({ port: 0 });
    server.route(MODEL, async (event) => {
      try {
        return (await app.handle(event, 'request-1')).response;
      } catch (error) {
        return toHttpResponse(error, { classify: classifyInferenceError, logger: silent });
      }
    });
    const rows = churnRecords(12, 9).map(({ churned: _target, ...features }, r) =>
      r % 4 === 0 ? { ...features, age: null } : features,
    );
    writeFileSync(dataPath, formatCsv(tableFromRecords(rows)));
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints shap_<feature> per input feature and shap_base, as mlops predict --explain writes them', async () => {
    // When the rows are explained by the endpoint through mlops invoke, and by mlops predict
    const invoked = captureIo();
    const code = await main(
      [
        'invoke',
        MODEL,
        '--data',
        dataPath,
        '--url',
        `${server.url}/${MODEL}/`,
        '--auth',
        'none',
        '--explain',
        '--format',
        'csv',
      ],
      invoked.io,
    );
    expect(invoked.err.join('')).not.toContain('error');
    expect(code).toBe(0);
    const outPath = join(dir, 'explained.csv');
    const predicted = captureIo();
    expect(
      await main(['predict', '--model', artifactPath, '--data', dataPath, '--out', outPath, '--explain'], predicted.io),
    ).toBe(0);

    // Then invoke prints the same explanation columns, in the same order, with the same values
    const fromInvoke = parseCsv(new TextEncoder().encode(invoked.out.join('')), { source: 'invoke' });
    const fromPredict = parseCsv(readFileSync(outPath), { source: 'predict' });
    const expected = shapColumns(fromPredict);
    expect(expected.map(([name]) => name)).toEqual(['shap_age', 'shap_plan', 'shap_active', 'shap_base']);
    const printed = shapColumns(fromInvoke);
    expect(printed.map(([name]) => name)).toEqual(expected.map(([name]) => name));
    printed.forEach(([, values], c) => {
      values.forEach((value, r) => {
        expect(value).toBeCloseTo(expected[c][1][r], 12);
      });
    });
    expect(fromInvoke.columnNames.some((name) => name.startsWith('explanation.'))).toBe(false);
  });
});
