import * as z from 'zod';
import { driftReportSchema } from '../drift/report';
import {
  qualityLatestSchema,
  qualityReportHtmlKey,
  qualityReportJsonKey,
  qualityReportPrefix,
} from '../ground-truth/report';
import { aliasHistoryPrefix, versionMetadataKey } from '../registry/keys';
import { type AliasRecord, aliasRecordSchema, PRODUCTION_ALIAS, versionMetadataSchema } from '../registry/records';
import type { ModelRegistry } from '../registry/registry';
import { listVersionIndexPage } from '../registry/version-index';
import { listRunIndexPage } from '../runs/run-index';
import { type RunRecord, readRunRecord } from '../runs/run-record';
import { readJson } from '../storage/json';
import { listPageOf, newestModified, type ObjectStore } from '../storage/object-store';
import {
  DATA_FILE_EXTENSIONS,
  driftLatestKey,
  driftReportHtmlKey,
  driftReportJsonKey,
  driftReportPrefix,
  rawPrefix,
} from '../workflow/layout';
import { type ConsoleFeatureView, type FeatureViewSummary, readFeatureViewSummary } from './feature-views';
import {
  type AliasHistoryKey,
  type DriftPoint,
  type DriftTrend,
  driftTrend,
  freshness,
  historyPage,
  moveInForceAt,
  type Page,
  parseAliasHistoryKey,
  type RunSummary,
  runTimeline,
  summarizeRun,
  type TimelineStep,
} from './views';

/**
 * Every read the console makes, over the ObjectStore interface and the registry: the same code
 * whether the stores are the local platform's S3 or a deployed app's buckets (`mlops ui`).
 *
 * Reads are paginated and indexed so 1,000 versions and 10,000 runs stay fast:
 * - runs: one ListObjectsV2 page of the runs index (core/runs/run-index.ts, newest first by key
 *   order), then one GET per run shown;
 * - versions: one list page of the versions index (core/registry/version-index.ts, newest first by
 *   key order), then the metadata of that page; version metadata is immutable, so it is cached;
 * - alias history: the keys of one page listed from its first sequence (one request), the records
 *   of that page read; "what was production at time T" lists the keys (one per move, 1,000 a
 *   request) and reads the one record in force, found from the times in the keys.
 */
export interface ConsoleStores {
  readonly artifacts: ObjectStore;
  /** @default - drift and quality are not shown */
  readonly monitoring?: ObjectStore;
  /** @default - data freshness is not shown */
  readonly raw?: ObjectStore;
  /** @default - feature views show their definition only (no versions, no files) */
  readonly curated?: ObjectStore;
  readonly registry: ModelRegistry;
  /** The models to show (the config's, or the stack's). */
  readonly models: () => Promise<string[]>;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

export const DEFAULT_PAGE_SIZE = 25;
/** Versions on the metric chart and reports on the drift and quality trends: the newest this many. */
export const TREND_LENGTH = 100;

const pointerSchema = z.looseObject({ generatedAt: z.string(), status: z.string(), reportKey: z.string() });

export interface ModelOverview {
  readonly name: string;
  readonly production: { version: number; movedAt: string; kind: string } | null;
  readonly lastRun: RunSummary | null;
  readonly drift: { status: string; generatedAt: string; reportId: string | null } | null;
  readonly quality: { status: string; generatedAt: string; auc: number | null; labeled: number } | null;
  readonly data: { at: string | null; ageHours: number | null; files: number } | null;
}

export interface VersionView {
  readonly version: number;
  readonly createdAt: string;
  readonly approval: string;
  readonly aliases: string[];
  readonly runId: string;
  readonly dataSha256: string | null;
  readonly dataKey: string;
  readonly codeVersion: string;
  readonly imported: string | null;
  readonly metrics: Readonly<Record<string, number>>;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface RunView {
  readonly record: RunRecord;
  readonly summary: RunSummary;
  readonly timeline: TimelineStep[];
}

export class ConsoleData {
  private readonly metadataCache = new Map<string, z.infer<typeof versionMetadataSchema>>();
  private readonly clock: () => Date;

  constructor(private readonly stores: ConsoleStores) {
    this.clock = stores.clock ?? (() => new Date());
  }

  /** Each view's definition, readers, versions (with their column changes) and files. */
  featureViews(views: readonly ConsoleFeatureView[]): Promise<FeatureViewSummary[]> {
    return Promise.all(views.map((view) => readFeatureViewSummary(this.stores.curated, view)));
  }

  models(): Promise<string[]> {
    return this.stores.models();
  }

  async overview(model: string): Promise<ModelOverview> {
    const [production, runs, drift, quality, data] = await Promise.all([
      this.stores.registry.resolveAlias(model, PRODUCTION_ALIAS),
      this.runs(model, { size: 1 }),
      this.driftPointer(model),
      this.qualityLatest(model),
      this.dataFreshness(model),
    ]);
    return {
      name: model,
      production: production
        ? { version: production.version, movedAt: production.movedAt, kind: production.kind }
        : null,
      lastRun: runs.items[0] ?? null,
      drift,
      quality,
      data,
    };
  }

  async versions(model: string, options: { size?: number; before?: number } = {}): Promise<Page<VersionView>> {
    const page = await listVersionIndexPage(this.stores.artifacts, model, {
      size: options.size ?? DEFAULT_PAGE_SIZE,
      before: options.before,
    });
    const [aliases, items] = await Promise.all([
      this.stores.registry.listAliases(model),
      Promise.all(page.versions.map((version) => this.versionView(model, version))),
    ]);
    return {
      items: items.flatMap((item) =>
        item ? [{ ...item, aliases: aliases.filter((a) => a.version === item.version).map((a) => a.alias) }] : [],
      ),
      next: page.next === null ? null : String(page.next),
    };
  }

  /** The newest `limit` versions' metrics, oldest first: the metric chart across versions. */
  async metricSeries(
    model: string,
    limit = TREND_LENGTH,
  ): Promise<Array<{ version: number; createdAt: string; metrics: Record<string, number> }>> {
    const numbers = (await listVersionIndexPage(this.stores.artifacts, model, { size: limit })).versions.reverse();
    const metadata = await Promise.all(numbers.map((version) => this.metadata(model, version)));
    return metadata.flatMap((item) =>
      item ? [{ version: item.version, createdAt: item.createdAt, metrics: item.lineage.metrics }] : [],
    );
  }

  /**
   * One page of alias moves, newest first. Sequences are gap-free and lead each history key, so
   * the page's keys are one list request starting after the page's first sequence (the alias
   * object holds the newest).
   */
  async history(
    model: string,
    options: { alias?: string; size?: number; before?: number } = {},
  ): Promise<Page<AliasRecord>> {
    const alias = options.alias ?? PRODUCTION_ALIAS;
    const current = await this.stores.registry.resolveAlias(model, alias);
    if (!current) return { items: [], next: null };
    const newest = Math.min(current.sequence, (options.before ?? Number.POSITIVE_INFINITY) - 1);
    const size = options.size ?? DEFAULT_PAGE_SIZE;
    const oldest = Math.max(1, newest - size + 1);
    if (newest < 1) return { items: [], next: null };
    const prefix = aliasHistoryPrefix(model, alias);
    const listed = await listPageOf(this.stores.artifacts, prefix, {
      startAfter: `${prefix}${String(oldest).padStart(10, '0')}`,
      maxKeys: newest - oldest + 1,
    });
    const keys = listed.objects.flatMap((item) => parseAliasHistoryKey(item.key) ?? []);
    const page = historyPage(keys, { size });
    const records = await Promise.all(page.items.map((key) => this.historyRecord(key)));
    return { items: records.flatMap((record) => record ?? []), next: oldest > 1 ? String(oldest) : null };
  }

  /** The alias move in force at `at` (null: the alias had no version yet), reading one record. */
  async aliasAt(model: string, at: Date, alias = PRODUCTION_ALIAS): Promise<AliasRecord | null> {
    const key = moveInForceAt(await this.historyKeys(model, alias), at);
    return key ? this.historyRecord(key) : null;
  }

  async runs(model: string, options: { size?: number; after?: string } = {}): Promise<Page<RunSummary>> {
    const page = await listRunIndexPage(this.stores.artifacts, model, {
      size: options.size ?? DEFAULT_PAGE_SIZE,
      after: options.after,
    });
    const seen = new Set<string>();
    const entries = page.entries.filter((entry) => !seen.has(entry.runId) && seen.add(entry.runId));
    const records = await Promise.all(entries.map((entry) => readRunRecord(this.stores.artifacts, model, entry.runId)));
    return { items: records.flatMap((record) => (record ? [summarizeRun(record)] : [])), next: page.next };
  }

  async run(model: string, runId: string): Promise<RunView | null> {
    const record = await readRunRecord(this.stores.artifacts, model, runId);
    return record && { record, summary: summarizeRun(record), timeline: runTimeline(record) };
  }

  /** Drift reports newest first (one page), and the per-column score over the newest TREND_LENGTH. */
  async drift(
    model: string,
    options: { size?: number; before?: string } = {},
  ): Promise<{ reports: Page<{ reportId: string; at: string }>; trend: DriftTrend }> {
    const ids = await this.reportIds(this.stores.monitoring, driftReportPrefix(model));
    const reports = reportPage(ids, options.size ?? DEFAULT_PAGE_SIZE, options.before);
    const points = await Promise.all(ids.slice(0, TREND_LENGTH).map((id) => this.driftPoint(model, id)));
    return { reports, trend: driftTrend(points.flatMap((point) => point ?? [])) };
  }

  /** A drift or quality report's own HTML, to open in place; null when absent. */
  async reportHtml(kind: 'drift' | 'quality', model: string, reportId: string): Promise<string | null> {
    if (!this.stores.monitoring || !/^[A-Za-z0-9_-]+$/.test(reportId)) return null;
    const key = kind === 'drift' ? driftReportHtmlKey(model, reportId) : qualityReportHtmlKey(model, reportId);
    const object = await this.stores.monitoring.get(key);
    return object ? new TextDecoder().decode(object.body) : null;
  }

  /** Quality reports newest first, and the production version's live metric over the newest TREND_LENGTH. */
  async quality(
    model: string,
    options: { size?: number; before?: string } = {},
  ): Promise<{
    reports: Page<{ reportId: string; at: string }>;
    series: Array<{
      at: string;
      status: string;
      version: number | null;
      auc: number | null;
      rmse: number | null;
      labeled: number;
    }>;
  }> {
    const ids = await this.reportIds(this.stores.monitoring, qualityReportPrefix(model));
    const reports = reportPage(ids, options.size ?? DEFAULT_PAGE_SIZE, options.before);
    const series = await Promise.all(ids.slice(0, TREND_LENGTH).map((id) => this.qualityPoint(model, id)));
    return {
      reports,
      series: series.flatMap((point) => point ?? []).sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
    };
  }

  /** Immutable once committed, so read once per console process. */
  private async metadata(model: string, version: number) {
    const cacheKey = `${model}/${version}`;
    const cached = this.metadataCache.get(cacheKey);
    if (cached) return cached;
    const found = await readJson(this.stores.artifacts, versionMetadataKey(model, version), versionMetadataSchema);
    if (found) this.metadataCache.set(cacheKey, found.value);
    return found?.value ?? null;
  }

  private async versionView(model: string, version: number): Promise<Omit<VersionView, 'aliases'> | null> {
    const [metadata, approval] = await Promise.all([
      this.metadata(model, version),
      this.stores.registry.getApproval(model, version),
    ]);
    if (!metadata) return null;
    const imported = metadata.lineage.imported;
    return {
      version,
      createdAt: metadata.createdAt,
      approval: approval.status,
      runId: metadata.lineage.runId,
      dataSha256: metadata.lineage.dataSha256 ?? null,
      dataKey: metadata.lineage.dataKey,
      codeVersion: metadata.lineage.codeVersion,
      imported: imported ? `${imported.source} (${imported.importKey})` : null,
      metrics: metadata.lineage.metrics,
      parameters: metadata.lineage.parameters,
    };
  }

  private async historyKeys(model: string, alias: string): Promise<AliasHistoryKey[]> {
    return (await this.stores.artifacts.list(aliasHistoryPrefix(model, alias))).flatMap(
      (item) => parseAliasHistoryKey(item.key) ?? [],
    );
  }

  private async historyRecord(key: AliasHistoryKey): Promise<AliasRecord | null> {
    return (await readJson(this.stores.artifacts, key.key, aliasRecordSchema))?.value ?? null;
  }

  private async driftPointer(model: string): Promise<ModelOverview['drift']> {
    if (!this.stores.monitoring) return null;
    const pointer = (await readJson(this.stores.monitoring, driftLatestKey(model), pointerSchema))?.value;
    if (!pointer) return null;
    return {
      status: pointer.status,
      generatedAt: pointer.generatedAt,
      reportId: /\/([^/]+)\/report\.json$/.exec(pointer.reportKey)?.[1] ?? null,
    };
  }

  private async qualityLatest(model: string): Promise<ModelOverview['quality']> {
    if (!this.stores.monitoring) return null;
    const latest = (
      await readJson(this.stores.monitoring, `${qualityReportPrefix(model)}latest.json`, qualityLatestSchema)
    )?.value;
    return latest
      ? { status: latest.status, generatedAt: latest.generatedAt, auc: latest.auc, labeled: latest.labeled }
      : null;
  }

  private async dataFreshness(model: string): Promise<ModelOverview['data']> {
    if (!this.stores.raw) return null;
    const files = (await this.stores.raw.list(rawPrefix(model))).filter((item) =>
      DATA_FILE_EXTENSIONS.some((extension) => item.key.toLowerCase().endsWith(extension)),
    );
    return { ...freshness(newestModified(files), this.clock()), files: files.length };
  }

  /** Report folder names (sortable times) under `prefix`, newest first. */
  private async reportIds(store: ObjectStore | undefined, prefix: string): Promise<string[]> {
    if (!store) return [];
    return (await store.list(prefix))
      .flatMap((item) => /^[^/]+\/[^/]+\/([^/]+)\/report\.json$/.exec(item.key)?.[1] ?? [])
      .sort()
      .reverse();
  }

  private async driftPoint(model: string, reportId: string): Promise<DriftPoint | null> {
    const report = await readJson(this.stores.monitoring!, driftReportJsonKey(model, reportId), driftPointSchema);
    if (!report) return null;
    return {
      reportId,
      generatedAt: report.value.generatedAt,
      driftShare: report.value.driftShare,
      columns: report.value.columns.map((column) => ({
        name: column.name,
        score: column.score,
        drift: column.drift,
        test: column.test,
      })),
    };
  }

  private async qualityPoint(model: string, reportId: string) {
    const report = (await readJson(this.stores.monitoring!, qualityReportJsonKey(model, reportId), qualityPointSchema))
      ?.value;
    if (!report) return null;
    const version = report.production?.version ?? null;
    const measured = report.versions.find((entry) => entry.version === version);
    return {
      at: report.generatedAt,
      status: report.status,
      version,
      auc: measured?.binary?.auc ?? null,
      rmse: measured?.regression?.rmse ?? null,
      labeled: measured?.labeled ?? 0,
    };
  }
}

/** Only the fields the trend reads, so a report with fields added later still parses. */
const driftPointSchema = driftReportSchema.pick({ generatedAt: true, driftShare: true }).extend({
  columns: z.array(
    z.looseObject({ name: z.string(), score: z.number().nullable(), drift: z.boolean(), test: z.string() }),
  ),
});

const qualityPointSchema = z.looseObject({
  generatedAt: z.string(),
  status: z.string(),
  production: z.looseObject({ version: z.number() }).nullable(),
  versions: z.array(
    z.looseObject({
      version: z.number(),
      labeled: z.number(),
      binary: z.looseObject({ auc: z.number().nullable() }).optional(),
      regression: z.looseObject({ rmse: z.number().nullable() }).optional(),
    }),
  ),
});

function reportPage(ids: readonly string[], size: number, before?: string): Page<{ reportId: string; at: string }> {
  const older = before === undefined ? ids : ids.filter((id) => id < before);
  const items = older.slice(0, size).map((reportId) => ({ reportId, at: reportIdTime(reportId) }));
  return { items, next: older.length > size ? items.at(-1)!.reportId : null };
}

/** 20261129T100000Z -> 2026-11-29T10:00:00Z (lambdas/shared/monitor-event.ts reportIdFor). */
function reportIdTime(reportId: string): string {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(reportId);
  return match ? `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z` : reportId;
}
