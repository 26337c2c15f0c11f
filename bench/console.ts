/**
 * Issue 17's scale measurement: the console's pages over one model with 1,000 versions (and 1,000
 * production moves) and 10,000 runs, in a local S3 endpoint (the platform's own, s3rver on
 * loopback). Each page is timed as the browser loads it: its API requests in parallel through the
 * console's HTTP route, cold (first load of the process) and warm (median of 5). With Chromium on
 * PATH, whole page loads are timed too (navigation until the page's table has rendered). Next to
 * them, with CONSOLE_BENCH_COMPARE=1, what the command line's whole-prefix reads cost on the same
 * data (`mlops runs` reads every run record; `mlops versions` every version): the reads the
 * console's indexes avoid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store';
import { mountConsole } from '../console/host';
import { aliasHistoryKey, aliasKey, approvalKey, artifactKey, versionMetadataKey } from '../core/registry/keys';
import type { AliasRecord, VersionMetadata } from '../core/registry/records';
import { ModelRegistry } from '../core/registry/registry';
import { listRuns, writeRunRecord } from '../core/runs/run-record';
import { writeJson } from '../core/storage/json';
import { driftLatestKey, driftReportHtmlKey, driftReportJsonKey } from '../core/workflow/layout';
import { startFunctionUrlServer } from '../local/function-url-server';
import { startLocalS3 } from '../local/s3-server';
import { findTool, TOOLS } from '../test/support/tools';

const MODEL = 'bench';
const START = Date.parse('2026-01-01T00:00:00.000Z');

export interface ConsoleBenchResult {
  readonly versions: number;
  readonly runs: number;
  readonly seedSeconds: number;
  /** Per page: its API requests, cold and warm (median of 5), in milliseconds. */
  readonly pagesMs: Record<string, { cold: number; warmMedian: number; requests: string[] }>;
  /** Whole page loads in Chromium, milliseconds (median of 3), when Chromium is on PATH. */
  readonly browserMs?: Record<string, number>;
  /** The command line's whole-prefix reads on the same data, milliseconds (CONSOLE_BENCH_COMPARE=1). */
  readonly wholePrefixMs?: { listRunsNewest25: number; listVersionsAll: number };
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (ms: number) => Number(ms.toFixed(1));

export async function runConsoleBench(
  options: { log?: (line: string) => void; versions?: number; runs?: number } = {},
): Promise<ConsoleBenchResult> {
  const log = options.log ?? (() => undefined);
  const versionCount = options.versions ?? 1000;
  const runCount = options.runs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'console-bench-'));
  const buckets = { raw: 'b-raw', curated: 'b-curated', artifacts: 'b-artifacts', monitoring: 'b-monitoring' };
  const s3 = await startLocalS3({ port: 0, directory: dir, buckets: Object.values(buckets) });
  const client = createS3Client({
    endpoint: s3.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const artifacts = new S3ObjectStore(client, buckets.artifacts);
  const monitoring = new S3ObjectStore(client, buckets.monitoring);
  const raw = new S3ObjectStore(client, buckets.raw);
  const http = await startFunctionUrlServer({ port: 0 });
  try {
    const seedStarted = Date.now();
    await seed({ artifacts, monitoring, raw, versionCount, runCount });
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    log(
      `console: seeded ${versionCount} versions, ${versionCount} production moves and ${runCount} runs in ${seedSeconds.toFixed(1)} s`,
    );

    const registry = new ModelRegistry({ store: artifacts });
    const mounted = mountConsole(http, {
      artifacts,
      monitoring,
      raw,
      registry,
      stepFunctions: new SFNClient({ region: 'us-east-1' }),
      stateMachines: { [MODEL]: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench' },
      models: [MODEL],
      label: 'bench',
    });
    await mounted.indexed;
    const base = `${http.url}/ui/api/`;
    const firstRuns = (await (await fetch(`${base}models/${MODEL}/runs`)).json()) as {
      items: Array<{ runId: string }>;
      next: string;
    };
    const pages: Record<string, string[]> = {
      models: ['models', 'feature-views'],
      model: [
        `models/${MODEL}/overview`,
        `models/${MODEL}/versions`,
        `models/${MODEL}/history?size=15`,
        `models/${MODEL}/metrics`,
      ],
      'model, versions before v500': [
        `models/${MODEL}/overview`,
        `models/${MODEL}/versions?before=500`,
        `models/${MODEL}/history?size=15`,
        `models/${MODEL}/metrics`,
      ],
      'production at a time': [`models/${MODEL}/history?at=2026-01-01T08:00:00Z`],
      runs: [`models/${MODEL}/runs`],
      'runs, second page': [`models/${MODEL}/runs?after=${encodeURIComponent(firstRuns.next)}`],
      run: [`models/${MODEL}/runs/${firstRuns.items[0]!.runId}`],
      drift: [`models/${MODEL}/drift`, `models/${MODEL}/quality`],
    };
    const pagesMs: ConsoleBenchResult['pagesMs'] = {};
    for (const [page, requests] of Object.entries(pages)) {
      const load = async () => {
        const started = performance.now();
        await Promise.all(
          requests.map(async (path) => {
            const response = await fetch(base + path);
            if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
            await response.arrayBuffer();
          }),
        );
        return performance.now() - started;
      };
      const cold = await load();
      const warm: number[] = [];
      for (let i = 0; i < 5; i += 1) warm.push(await load());
      pagesMs[page] = { cold: round(cold), warmMedian: round(median(warm)), requests };
      log(`console: ${page.padEnd(28)} cold ${round(cold)} ms, warm median ${round(median(warm))} ms`);
    }

    // Optional: reading 10,000 records at once takes ~20 s here and can exhaust the local endpoint's sockets.
    const wholePrefixMs = process.env.CONSOLE_BENCH_COMPARE
      ? await wholePrefixReads(artifacts, registry, log)
      : undefined;
    const browserMs = await browserLoads(mounted.url, firstRuns.items[0]!.runId, log);
    return {
      versions: versionCount,
      runs: runCount,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      pagesMs,
      ...(browserMs ? { browserMs } : {}),
      ...(wholePrefixMs ? { wholePrefixMs } : {}),
    };
  } finally {
    await http.close();
    client.destroy();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function wholePrefixReads(
  artifacts: S3ObjectStore,
  registry: ModelRegistry,
  log: (line: string) => void,
): Promise<{ listRunsNewest25: number; listVersionsAll: number }> {
  let started = performance.now();
  await listRuns(artifacts, MODEL, 25);
  const listRunsNewest25 = round(performance.now() - started);
  started = performance.now();
  await registry.listVersions(MODEL);
  const listVersionsAll = round(performance.now() - started);
  log(
    `console: for comparison, mlops runs (every record read) ${listRunsNewest25} ms; mlops versions (every version) ${listVersionsAll} ms`,
  );
  return { listRunsNewest25, listVersionsAll };
}

async function seed(stores: {
  artifacts: S3ObjectStore;
  monitoring: S3ObjectStore;
  raw: S3ObjectStore;
  versionCount: number;
  runCount: number;
}): Promise<void> {
  const { artifacts, monitoring, versionCount, runCount } = stores;
  const minute = 60_000;
  const versions = Array.from({ length: versionCount }, (_, i) => i + 1);
  await pool(versions, 24, async (version) => {
    const createdAt = new Date(START + version * minute).toISOString();
    const metadata: VersionMetadata = {
      model: MODEL,
      version,
      createdAt,
      artifactKey: artifactKey(MODEL, version),
      artifactSha256: '0'.repeat(64),
      artifactBytes: 2,
      lineage: {
        runId: `run-${version}`,
        dataSha256: version.toString(16).padStart(64, 'a'),
        dataKey: `${MODEL}/data-${version}.csv`,
        codeVersion: 'mlops@bench',
        parameters: { learner: 'gbdt', trees: 100 },
        metrics: { auc: 0.8 + 0.1 * Math.sin(version / 50), logLoss: 0.4 - 0.05 * Math.cos(version / 40) },
        schema: { target: 'churned', rowCount: 20_000, columns: [{ name: 'age', type: 'numeric', role: 'feature' }] },
      },
      tags: {},
    };
    await artifacts.put(artifactKey(MODEL, version), '{}');
    await writeJson(artifacts, approvalKey(MODEL, version), {
      status: 'approved',
      history: [{ status: 'approved', at: createdAt }],
    });
    await writeJson(artifacts, versionMetadataKey(MODEL, version), metadata);
  });
  let alias: AliasRecord | null = null;
  const moves: AliasRecord[] = versions.map((version) => ({
    model: MODEL,
    alias: 'production',
    version,
    previousVersion: version > 1 ? version - 1 : null,
    sequence: version,
    movedAt: new Date(START + version * minute + 1000).toISOString(),
    kind: 'promote',
    reason: `gate passed for version ${version}`,
    runId: `run-${version}`,
  }));
  await pool(moves, 24, (move) =>
    writeJson(artifacts, aliasHistoryKey(MODEL, 'production', move.sequence, move.movedAt), move),
  );
  alias = moves.at(-1) ?? null;
  if (alias) await writeJson(artifacts, aliasKey(MODEL, 'production'), alias);
  const runs = Array.from({ length: runCount }, (_, i) => i);
  await pool(runs, 24, async (i) => {
    const started = START + i * 5 * minute;
    const at = (offset: number) => new Date(started + offset).toISOString();
    const failed = i % 7 === 3;
    await writeRunRecord(artifacts, {
      runId: `${MODEL}-upload-${((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0')}${i}`,
      model: MODEL,
      trigger: { kind: i % 3 === 0 ? 'drift' : 'upload', objects: [`${MODEL}/data-${i}.csv`] },
      startedAt: at(0),
      endedAt: at(90_000),
      inputs: { dataKey: `${MODEL}/data-${i}.csv`, rows: 20_000, columns: 14 },
      timings: {
        validate: { startedAt: at(0), endedAt: at(2_000), durationMs: 2_000 },
        train: { startedAt: at(2_000), endedAt: at(80_000), durationMs: 78_000 },
        ...(failed ? {} : { evaluate: { startedAt: at(80_000), endedAt: at(88_000), durationMs: 8_000 } }),
      },
      ...(failed
        ? { outcome: 'failed' as const, failure: { step: 'train', reason: 'out of memory' } }
        : {
            outcome: 'rejected' as const,
            gate: {
              metric: 'auc',
              candidate: 0.81,
              champion: 0.83,
              championVersion: 1,
              requiredGain: 0.005,
              decision: 'reject' as const,
              reason: 'no gain',
            },
          }),
    });
  });
  const reports = Array.from({ length: 50 }, (_, i) => i);
  await pool(reports, 12, async (i) => {
    const at = new Date(START + i * 3_600_000);
    const id = at
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const columns = Array.from({ length: 14 }, (_, c) => ({
      name: `column_${c}`,
      test: 'ks',
      score: ((i * 7 + c * 13) % 100) / 100,
      drift: (i + c) % 9 === 0,
    }));
    await writeJson(monitoring, driftReportJsonKey(MODEL, id), {
      generatedAt: at.toISOString(),
      driftShare: 0.1,
      columns,
    });
    await monitoring.put(driftReportHtmlKey(MODEL, id), '<!doctype html><title>drift</title><p>drift report</p>');
    if (i === 49) {
      await writeJson(monitoring, driftLatestKey(MODEL), {
        model: MODEL,
        generatedAt: at.toISOString(),
        status: 'ok',
        reportKey: driftReportJsonKey(MODEL, id),
        htmlKey: driftReportHtmlKey(MODEL, id),
      });
    }
  });
  await stores.raw.put(`${MODEL}/data.csv`, 'a,b\n1,2\n');
}

async function browserLoads(
  consoleUrl: string,
  runId: string,
  log: (line: string) => void,
): Promise<Record<string, number> | undefined> {
  const executablePath = findTool(TOOLS.chromium);
  if (!executablePath) {
    log('console: Chromium not on PATH; whole page loads not measured');
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const base = consoleUrl.replace(/#.*$/, '');
    const pages: Record<string, { hash: string; ready: string }> = {
      models: { hash: '#/', ready: 'main table tbody tr' },
      model: { hash: `#/m/${MODEL}`, ready: '#versions tbody tr' },
      runs: { hash: `#/m/${MODEL}/runs`, ready: 'main table tbody tr' },
      run: { hash: `#/m/${MODEL}/runs/${runId}`, ready: '.timeline .row' },
      drift: { hash: `#/m/${MODEL}/drift`, ready: '.uplot' },
    };
    const result: Record<string, number> = {};
    for (const [name, { hash, ready }] of Object.entries(pages)) {
      const times: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const started = performance.now();
        await page.goto(base + hash);
        await page.locator(ready).first().waitFor();
        times.push(performance.now() - started);
        await page.close();
      }
      result[name] = round(median(times));
      log(`console: browser page load ${name.padEnd(8)} ${result[name]} ms (median of 3, navigation until rendered)`);
    }
    return result;
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  runConsoleBench({ log: (line) => process.stdout.write(`${line}\n`) }).catch((error) => {
    process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = 1;
  });
}
