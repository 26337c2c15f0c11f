import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AliasRecord, ModelVersion } from '../../core/registry/records';
import type { ModelRegistry } from '../../core/registry/registry';
import { listRuns, type RunRecord } from '../../core/runs/run-record';
import type { ObjectStore } from '../../core/storage/object-store';
import { manualExecutionInput } from '../../core/workflow/contract';

/**
 * `mlops models | versions | promote | rollback | history | runs`: each takes the registry (or the artifacts
 * store) and parsed arguments, and returns text for a terminal and JSON for --json. The argv
 * parser lives elsewhere.
 */
export interface CommandResult<T> {
  readonly text: string;
  readonly json: T;
}

export interface ModelSummary {
  readonly model: string;
  readonly versions: number;
  readonly latestVersion: number | null;
  readonly aliases: Readonly<Record<string, number>>;
}

export async function listModelsCommand(registry: ModelRegistry): Promise<CommandResult<ModelSummary[]>> {
  const models = await registry.listModels();
  const summaries = await Promise.all(
    models.map(async (model): Promise<ModelSummary> => {
      const [versions, aliases] = await Promise.all([registry.listVersions(model), registry.listAliases(model)]);
      return {
        model,
        versions: versions.length,
        latestVersion: versions.at(-1)?.version ?? null,
        aliases: Object.fromEntries(aliases.map((alias) => [alias.alias, alias.version])),
      };
    }),
  );
  if (summaries.length === 0) return { text: 'No models registered yet.', json: [] };
  const rows = summaries.map((summary) => [
    summary.model,
    String(summary.versions),
    summary.latestVersion === null ? '-' : `v${summary.latestVersion}`,
    formatAliases(summary.aliases),
  ]);
  return { text: table(['MODEL', 'VERSIONS', 'LATEST', 'ALIASES'], rows), json: summaries };
}

export interface VersionRow {
  readonly version: number;
  readonly createdAt: string;
  readonly approval: string;
  readonly aliases: string[];
  readonly runId: string;
  /** The training data's SHA-256; null for an imported version. */
  readonly dataSha256: string | null;
  /** "trained", or where an imported version came from: "imported xgboost (file 1a2b3c4d5e6f)". */
  readonly origin: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export async function listVersionsCommand(
  registry: ModelRegistry,
  args: { model: string },
): Promise<CommandResult<VersionRow[]>> {
  const [versions, aliases] = await Promise.all([registry.listVersions(args.model), registry.listAliases(args.model)]);
  const rows = versions.map((version) => versionRow(version, aliases));
  if (rows.length === 0) return { text: `Model ${args.model} has no versions yet.`, json: [] };
  const text = table(
    ['VERSION', 'CREATED', 'APPROVAL', 'ALIASES', 'RUN', 'DATA SHA-256', 'ORIGIN', 'METRICS'],
    rows.map((row) => [
      `v${row.version}`,
      row.createdAt,
      row.approval,
      row.aliases.join(',') || '-',
      row.runId,
      row.dataSha256?.slice(0, 12) ?? '-',
      row.origin,
      formatMetrics(row.metrics),
    ]),
  );
  return { text, json: rows };
}

export async function promoteCommand(
  registry: ModelRegistry,
  args: { model: string; version: number; alias?: string; reason?: string; actor?: string },
): Promise<CommandResult<AliasRecord & { moved: boolean }>> {
  const alias = args.alias ?? 'production';
  const result = await registry.promote(args.model, args.version, alias, { reason: args.reason, actor: args.actor });
  const text = result.moved
    ? `${args.model} ${alias}: v${result.record.previousVersion ?? '-'} -> v${result.record.version}`
    : `${args.model} ${alias} already points to v${result.record.version}; nothing changed.`;
  return { text, json: { ...result.record, moved: result.moved } };
}

export async function rollbackCommand(
  registry: ModelRegistry,
  args: { model: string; to?: number; reason?: string; actor?: string },
): Promise<CommandResult<AliasRecord & { moved: boolean }>> {
  const result = await registry.rollback(args.model, { to: args.to, reason: args.reason, actor: args.actor });
  const text = result.moved
    ? `${args.model} production rolled back: v${result.record.previousVersion ?? '-'} -> v${result.record.version}`
    : `${args.model} production already points to v${result.record.version}; nothing changed.`;
  return { text, json: { ...result.record, moved: result.moved } };
}

/** `mlops retrain` and the console's retrain: a manual run of the model's state machine; the reason rides in its trigger. */
export async function retrainCommand(
  stepFunctions: SFNClient,
  stateMachineArn: string,
  args: { model: string; dataKey?: string; reason?: string },
): Promise<CommandResult<{ executionArn: string }>> {
  const input = manualExecutionInput(args.model, args.dataKey, args.reason);
  const started = await stepFunctions.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? '';
  return { text: executionArn, json: { executionArn } };
}

export interface HistoryRow {
  readonly sequence: number;
  readonly movedAt: string;
  readonly version: number;
  readonly previousVersion: number | null;
  readonly kind: string;
  readonly runId: string | null;
  readonly reason: string | null;
  readonly actor: string | null;
}

/**
 * Every move of an alias, oldest first: anyone can check that each promotion by a run replaced
 * the champion that run's gate compared against (`mlops runs` shows the gate's champion).
 */
export async function aliasHistoryCommand(
  registry: ModelRegistry,
  args: { model: string; alias?: string },
): Promise<CommandResult<HistoryRow[]>> {
  const alias = args.alias ?? 'production';
  const rows = (await registry.aliasHistory(args.model, alias)).map(
    (entry): HistoryRow => ({
      sequence: entry.sequence,
      movedAt: entry.movedAt,
      version: entry.version,
      previousVersion: entry.previousVersion,
      kind: entry.kind,
      runId: entry.runId ?? null,
      reason: entry.reason ?? null,
      actor: entry.actor ?? null,
    }),
  );
  if (rows.length === 0) return { text: `${args.model} has never had a ${alias} version.`, json: [] };
  const text = table(
    ['SEQ', 'TIME', 'VERSION', 'PREVIOUS', 'KIND', 'RUN', 'REASON'],
    rows.map((row) => [
      String(row.sequence),
      row.movedAt,
      `v${row.version}`,
      row.previousVersion === null ? '-' : `v${row.previousVersion}`,
      row.kind,
      row.runId ?? '-',
      [row.reason, row.actor ? `(by ${row.actor})` : null].filter(Boolean).join(' ') || '-',
    ]),
  );
  return { text, json: rows };
}

export async function listRunsCommand(
  artifacts: ObjectStore,
  args: { model: string; limit?: number },
): Promise<CommandResult<RunRecord[]>> {
  const runs = await listRuns(artifacts, args.model, args.limit ?? 20);
  if (runs.length === 0) return { text: `Model ${args.model} has no runs yet.`, json: [] };
  const text = table(
    ['RUN', 'STARTED', 'TRIGGER', 'OUTCOME', 'VERSION', 'GATE', 'DETAIL'],
    runs.map((run) => [
      run.runId,
      run.startedAt,
      run.trigger.kind,
      run.outcome,
      run.registeredVersion === null ? '-' : `v${run.registeredVersion}`,
      run.gate ? formatGate(run) : '-',
      runDetail(run),
    ]),
  );
  return { text, json: runs };
}

function versionRow(version: ModelVersion, aliases: readonly AliasRecord[]): VersionRow {
  return {
    version: version.version,
    createdAt: version.createdAt,
    approval: version.approval.status,
    aliases: aliases.filter((alias) => alias.version === version.version).map((alias) => alias.alias),
    runId: version.lineage.runId,
    dataSha256: version.lineage.dataSha256 ?? null,
    origin: versionOrigin(version),
    metrics: version.lineage.metrics,
  };
}

function versionOrigin(version: ModelVersion): string {
  const imported = version.lineage.imported;
  if (!imported) return 'trained';
  return imported.sourceFileSha256
    ? `imported ${imported.source} (file ${imported.sourceFileSha256.slice(0, 12)})`
    : `imported ${imported.source}`;
}

function formatGate(run: RunRecord): string {
  const gate = run.gate!;
  const champion = gate.champion === null ? 'none' : gate.champion.toFixed(4);
  return `${gate.decision} (${gate.metric} ${gate.candidate.toFixed(4)} vs ${champion})`;
}

function runDetail(run: RunRecord): string {
  if (run.failure) return `failed at ${run.failure.step}: ${run.failure.reason}`;
  if (run.outcome === 'superseded')
    return `superseded: production moved after the gate compared against v${run.gate?.championVersion ?? '-'}`;
  const imported = run.imported ? `imported ${run.imported.source} from ${run.imported.importKey}` : '';
  const changes = run.schemaChanges;
  const parts = changes
    ? [
        ...changes.newColumns.map((column) => `+${column.name}`),
        ...changes.missingColumns.map((name) => `-${name}`),
        ...changes.typeChanges.map((change) => `${change.name}:${change.from}->${change.to}`),
      ]
    : [];
  return [imported, parts.length ? `schema ${parts.join(' ')}` : ''].filter(Boolean).join('; ');
}

function formatAliases(aliases: Readonly<Record<string, number>>): string {
  const entries = Object.entries(aliases).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? entries.map(([alias, version]) => `${alias}=v${version}`).join(' ') : '-';
}

function formatMetrics(metrics: Readonly<Record<string, number>>): string {
  const entries = Object.entries(metrics);
  return entries.length ? entries.map(([name, value]) => `${name}=${Number(value.toFixed(4))}`).join(' ') : '-';
}

/** Left-aligned columns separated by two spaces. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
