import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type QualityLatest, qualityLatestKey, qualityLatestSchema } from '../../core/ground-truth/report';
import { readJson } from '../../core/storage/json';
import type { ObjectStore } from '../../core/storage/object-store';
import { ZONE_ENV } from '../../core/workflow/layout';
import { ADMIN_ROUTE } from '../../local/admin-route';
import type { CommandSpec } from '../args';
import { intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveTarget } from '../deployment-target';
import type { Command, CommandIo } from '../io';

/**
 * `mlops quality <model>`: the newest quality report's summary (quality/<model>/latest.json,
 * written by the quality monitor); `mlops quality run <model>`: the monitor now.
 */

/** What `mlops quality <model> --json` prints: small and stable (fields are added, never renamed). */
export interface QualitySummaryJson {
  readonly model: string;
  readonly version: number | null;
  readonly status: QualityLatest['status'];
  readonly generatedAt: string;
  readonly window: QualityLatest['window'];
  readonly labeled: number;
  /** Binary models. */
  readonly auc?: number | null;
  /** Regression models. */
  readonly rmse?: number | null;
  readonly coverage: number | null;
  readonly labelDelaySeconds: number | null;
  readonly alerted: boolean;
  readonly retrain: string;
  readonly rollback: string;
  readonly report: string;
  readonly html: string;
}

export async function qualitySummaryCommand(
  monitoring: ObjectStore,
  model: string,
): Promise<{ json: QualitySummaryJson; text: string }> {
  const found = await readJson(monitoring, qualityLatestKey(model), qualityLatestSchema);
  if (!found) {
    throw new UsageError(
      `no quality report for ${model} yet (s3://${monitoring.bucket}/${qualityLatestKey(model)}); run 'mlops quality run ${model}' or wait for its schedule`,
    );
  }
  const latest = found.value;
  const json: QualitySummaryJson = {
    model: latest.model,
    version: latest.version,
    status: latest.status,
    generatedAt: latest.generatedAt,
    window: latest.window,
    labeled: latest.labeled,
    ...(latest.task === 'binary' ? { auc: latest.auc } : { rmse: latest.rmse }),
    coverage: latest.coverage,
    labelDelaySeconds: latest.labelDelaySeconds,
    alerted: latest.alerted,
    retrain: latest.retrain,
    rollback: latest.rollback,
    report: `s3://${monitoring.bucket}/${latest.reportKey}`,
    html: `s3://${monitoring.bucket}/${latest.htmlKey}`,
  };
  return { json, text: describeQuality(json) };
}

function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : Number(value.toPrecision(4)).toString();
}

function formatDelay(seconds: number | null): string {
  if (seconds === null) return 'n/a';
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export function describeQuality(summary: QualitySummaryJson): string {
  if (summary.version === null) return `${summary.model}: no production version yet (${summary.generatedAt})`;
  const metric = summary.auc !== undefined ? `auc ${formatNumber(summary.auc)}` : `rmse ${formatNumber(summary.rmse)}`;
  const coverage = summary.coverage === null ? 'n/a' : `${(summary.coverage * 100).toFixed(1)}%`;
  return [
    `${summary.model} v${summary.version}: ${summary.status}; ${metric} on ${summary.labeled} labeled predictions of ${summary.window.start} to ${summary.window.end}`,
    `  coverage ${coverage}, label delay p50 ${formatDelay(summary.labelDelaySeconds)}`,
    `  alert sent: ${summary.alerted ? 'yes' : 'no'}; retrain: ${summary.retrain}; rollback: ${summary.rollback}`,
    `  report: ${summary.html}`,
  ].join('\n');
}

const qualitySpec: CommandSpec = {
  name: 'quality',
  summary: "print a model's latest quality report (live outcomes joined to predictions), or run the monitor now",
  usage:
    'mlops quality <model> [--json]\n' +
    '       mlops quality run <model> [--window-hours <n>] [--function <name>] [--json]',
  positionals: ['model'],
  flags: { json: { type: 'boolean', description: 'print the summary as JSON (small and stable)' } },
  examples: ['mlops quality churn', 'mlops quality run churn --window-hours 48'],
};

const qualityRunSpec: CommandSpec = {
  name: 'quality run',
  summary: "run a model's quality monitor now: join new outcomes, measure, apply the policy",
  usage: 'mlops quality run <model> [--window-hours <n>] [--function <name>] [--json]',
  positionals: ['model'],
  flags: {
    'window-hours': {
      type: 'string',
      description: 'predictions of this many past hours are measured (default: the config)',
      valueName: 'n',
    },
    function: {
      type: 'string',
      description: "deployed: the quality monitor's function name (stack output <Model>QualityMonitorFunction)",
      valueName: 'name',
    },
    json: { type: 'boolean', description: 'print the monitor summary as JSON' },
  },
};

export const qualityCommand: Command = {
  spec: qualitySpec,

  async run(argv, io) {
    if (argv[0] === 'run') return runQualityNow(argv.slice(1), io);
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const model = parsed.positionals[0];
    if (!model) throw new UsageError('mlops quality needs a model name');
    const target = resolveTarget();
    if (!target.monitoring) {
      throw new UsageError(
        `set ${ZONE_ENV.monitoring} to the monitoring bucket (stack output MonitoringBucketName) to read quality reports`,
      );
    }
    const result = await qualitySummaryCommand(target.monitoring, model);
    io.out(parsed.flags.json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return 0;
  },
};

/** `mlops quality run <model>`: the local platform's admin route, or the deployed function by name. */
async function runQualityNow(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseOrHelp(qualityRunSpec, argv, io);
  if (!parsed) return 0;
  const { flags, positionals } = parsed;
  const model = positionals[0];
  if (!model) throw new UsageError('mlops quality run needs a model name');
  const windowHours = intFlag(flags, 'window-hours');
  const event = windowHours === undefined ? { force: true } : { windowHours, force: true };
  const target = resolveTarget();
  let summary: Record<string, unknown>;
  if (target.kind === 'local') {
    const response = await fetch(`${target.localUrl}/${ADMIN_ROUTE}/quality/${encodeURIComponent(model)}`, {
      method: 'POST',
      body: JSON.stringify(event),
    });
    const body = (await response.json()) as Record<string, unknown> & { error?: { message: string } };
    if (!response.ok) throw new UsageError(body.error?.message ?? `the platform answered ${response.status}`);
    summary = body;
  } else {
    const functionName = stringFlag(flags, 'function');
    if (!functionName) {
      throw new UsageError(
        `deployed, pass --function <name>: the stack output of ${model}'s QualityMonitorFunction (or let its schedule run it)`,
      );
    }
    summary = await invokeDeployed(functionName, event);
  }
  io.out(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : `${describeRun(summary)}\n`);
  return 0;
}

async function invokeDeployed(functionName: string, event: unknown): Promise<Record<string, unknown>> {
  const response = await new LambdaClient({}).send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
  );
  const text = new TextDecoder().decode(response.Payload ?? new Uint8Array());
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (response.FunctionError) {
    throw new UsageError(`the quality monitor failed: ${String(body.errorMessage ?? response.FunctionError)}`);
  }
  return body;
}

/** One summary (lambdas/quality-monitor/check.ts QualityCheckSummary) as lines for a person. */
export function describeRun(summary: Record<string, unknown>): string {
  const s = summary as {
    model?: string;
    status?: string;
    version?: number | null;
    labeled?: number;
    task?: 'binary' | 'regression' | null;
    auc?: number | null;
    rmse?: number | null;
    reasons?: string[];
    join?: { status?: string; counts?: Record<string, number>; pending?: number };
    alerted?: boolean;
    retrain?: { status?: string };
    rollback?: { status?: string; to?: number };
    htmlUri?: string | null;
  };
  const counts = s.join?.counts ?? {};
  const join = `join: ${s.join?.status ?? 'n/a'} (${counts.joined ?? 0} joined, ${counts.duplicates ?? 0} duplicates, ${counts.unknown ?? 0} waiting for their prediction)`;
  if (s.status === 'join-superseded') return `${s.model}: another join committed first; nothing measured, run again`;
  if (s.status === 'no-production-model') return `${s.model}: no production model yet; ${join}`;
  // A binary model's AUC is null until both classes have outcomes: still "auc n/a", never "rmse".
  const isBinary = s.task === 'binary' || (s.task !== 'regression' && s.auc !== null && s.auc !== undefined);
  const metric = isBinary ? `auc ${formatNumber(s.auc)}` : `rmse ${formatNumber(s.rmse)}`;
  const lines = [
    `${s.model} v${s.version}: ${s.status}; ${metric} on ${s.labeled ?? 0} labeled predictions`,
    `  ${join}`,
  ];
  for (const reason of s.reasons ?? []) lines.push(`  - ${reason}`);
  lines.push(
    `  alert sent: ${s.alerted ? 'yes' : 'no'}; retrain: ${s.retrain?.status ?? 'n/a'}; rollback: ${s.rollback?.status ?? 'n/a'}${s.rollback?.to ? ` (to v${s.rollback.to})` : ''}`,
  );
  if (s.htmlUri) lines.push(`  report: ${s.htmlUri}`);
  return lines.join('\n');
}
