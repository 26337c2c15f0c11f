// Over 450 lines on purpose: the one place where a request becomes predictions (formats, policies, feature-view lookup, explanations, capture), so its order of steps reads top to bottom.
import { randomBytes } from 'node:crypto';
import type { DataTable } from '../../core/data/table';
import {
  FeatureStoreUnavailableError,
  lookupFeatures,
  mergeIntoTable,
  tableLookupRows,
} from '../../core/feature-views/lookup';
import type { OnlineFeatureStore } from '../../core/feature-views/online-store';
import {
  actualRecords,
  callerIdOf,
  predictionLines,
  recordableFeatureNames,
  recordedFeaturesOfRows,
  writeActualsBatch,
  writePredictionLines,
} from '../../core/ground-truth/prediction-log';
import {
  assignPredictionIds,
  GroundTruthInputError,
  parseFeedbackRequest,
  predictionIdsAt,
} from '../../core/ground-truth/records';
import { InputError } from '../../core/score/scorer';
import type { ObjectStore } from '../../core/storage/object-store';
import { clipText } from '../../core/text/clip';
import { HttpError, type HttpResponse, JSON_HEADERS, jsonResponse } from '../shared/http';
import { readJsonBody } from '../shared/json-body';
import { type CacheLogger, ModelCache, ModelUnavailableError, type ServingModel } from '../shared/model-cache';
import { matchRoute, type Routes, requestLineOf } from '../shared/routing';
import { CaptureBuffer, type CaptureRecord } from './capture';
import { type InferenceConfig, InferenceConfigError } from './config';
import { checkExplainable, explainInstances, explainRequested } from './explain';
import { describeModel, type PredictResponse, predict, type ScoringBackend } from './predict';
import {
  modelColumnsOf,
  type PredictEvent,
  parsePredictBody,
  predictResponseJson,
  type RequestTable,
  type ResponseFormat,
  responseFormatOf,
  tableRecords,
  withoutField,
} from './request-formats';

export interface InferenceAppOptions {
  readonly config: InferenceConfig;
  /** The artifacts zone (the registry). */
  readonly artifacts: ObjectStore;
  /** The monitoring zone (captured traffic, the prediction log, posted actuals). */
  readonly monitoring: ObjectStore;
  readonly backend: ScoringBackend;
  /** The online store of the model's feature view (config.featureLookup). @default none: required when the config names a view */
  readonly featureStore?: OnlineFeatureStore;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Capture sampling. @default Math.random */
  readonly random?: () => number;
  readonly logger?: CacheLogger;
}

/** What one request produced beyond its response, for logs and metrics. */
export interface RequestOutcome {
  readonly response: HttpResponse;
  readonly rows: number;
  readonly warnings: number;
  readonly captured: boolean;
  readonly modelVersion?: number;
  /** The prediction log of this request: written, failed (logged; the response went out), or off. */
  readonly predictionLog?: 'written' | 'failed' | 'off';
  /** Actuals accepted by POST /feedback. */
  readonly actuals?: number;
}

/**
 * Longest a response waits for its prediction log. S3 answers a small PUT in tens of ms; a slower
 * one goes on after the response (settled() waits for it) instead of holding the caller.
 */
export const PREDICTION_LOG_WAIT_MS = 2000;

type Route = (event: unknown, requestId: string) => Promise<RequestOutcome>;

/**
 * The inference function's logic, without AWS: routes a Function URL event, validates, scores
 * with the cached model, and captures a sample. One instance per container (see handler.ts);
 * everything it reads from S3 goes through the ObjectStores it is given.
 */
export class InferenceApp {
  readonly cache: ModelCache;
  readonly capture: CaptureBuffer;
  private readonly now: () => number;
  private readonly routes: Routes<Route>;
  private scheduledFlush?: Promise<void>;
  private readonly pendingCaptures: Array<{
    readonly record: () => Omit<CaptureRecord, 'time'>;
    readonly nowMs: number;
  }> = [];
  private readonly lateLogWrites = new Set<Promise<unknown>>();
  private readonly idRandomness = new RandomPool();

  constructor(private readonly options: InferenceAppOptions) {
    const { config } = options;
    if (config.featureLookup && !options.featureStore) {
      throw new InferenceConfigError(
        `model ${config.modelName} reads feature view "${config.featureLookup.view.name}" but the app was given no online store`,
      );
    }
    this.now = options.now ?? Date.now;
    this.cache = new ModelCache({
      store: options.artifacts,
      model: config.modelName,
      refreshMs: config.modelRefreshSeconds * 1000,
      now: this.now,
      logger: options.logger,
    });
    this.capture = new CaptureBuffer({
      store: options.monitoring,
      model: config.modelName,
      sampleRate: config.captureSampleRate,
      maxRows: config.captureMaxRows,
      maxAgeMs: config.captureMaxAgeSeconds * 1000,
      random: options.random,
      onProblem: (message, details) => options.logger?.warn(message, details),
    });
    this.routes = {
      '/': { GET: () => this.describe() },
      '/predict': { POST: (event, requestId) => this.predict(event, requestId) },
      '/feedback': { POST: (event) => this.feedback(event) },
    };
  }

  get modelName(): string {
    return this.options.config.modelName;
  }

  /** Answers one request; throws HttpError, InputError or ModelUnavailableError for the error middleware. */
  async handle(event: unknown, requestId: string): Promise<RequestOutcome> {
    const route = matchRoute(this.routes, requestLineOf(event));
    return route(event, requestId);
  }

  /**
   * Schedules, for just after the response is handed back (setImmediate), the buffering of the
   * request just sampled and a capture flush when one is due: serialising a multi-MB request (tens
   * of ms) and the flush stay off the response path. The PUT then runs while the runtime returns
   * the response; if Lambda freezes the container first, it completes when the container thaws
   * for the next request.
   */
  startDueFlush(): void {
    if (this.scheduledFlush || (this.pendingCaptures.length === 0 && !this.capture.isDue(this.now()))) return;
    this.scheduledFlush = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        this.bufferPendingCaptures();
        await this.capture.flushIfDue(this.now());
      })
      .catch((error: unknown) => this.options.logger?.error('capture flush failed', { error }))
      .finally(() => {
        this.scheduledFlush = undefined;
      });
  }

  /** Resolves when no capture flush is scheduled or running (tests, the bench, shutdown). */
  async settled(): Promise<void> {
    while (this.scheduledFlush) await this.scheduledFlush;
    await Promise.all(this.lateLogWrites);
    this.bufferPendingCaptures();
    await this.capture.idle();
  }

  private async describe(): Promise<RequestOutcome> {
    const model = await this.cache.get();
    return {
      response: jsonResponse(200, describeModel(model, this.options.backend)),
      rows: 0,
      warnings: 0,
      captured: false,
      modelVersion: model.version,
    };
  }

  private async predict(event: unknown, requestId: string): Promise<RequestOutcome> {
    const { config, backend } = this.options;
    const predictEvent = event as PredictEvent;
    // Request-level checks first: a bad request is a 400 even while no model is loaded.
    const responseFormat = responseFormatOf(predictEvent);
    const explain = explainRequested(event);
    const parsed = parsePredictBody(predictEvent, config);
    const scoredAt = new Date(this.now());
    let ids = parsed.table && this.predictionIds(parsed.table, scoredAt);
    const model = await this.cache.get();
    const request = parsed.table ?? parsed.tableFor(modelColumnsOf(model.scorer));
    ids ??= this.predictionIds(request, scoredAt);
    const viewed = await this.withViewFeatures(request, model);
    const { rows, rowsWithColumn, idFieldDropped } = this.withoutIdColumn(viewed, model);
    if (explain) checkExplainable(model.scorer, rows.rowCount);
    const scored = await predict(
      model,
      rows,
      { unknownFeatures: config.unknownFeatures, missingFeatures: config.missingFeatures },
      backend,
      request.fieldOf,
      rowsWithColumn,
    );
    const result = viewed.fromStore
      ? { ...scored, warnings: [...scored.warnings, ...viewed.warnings], fromStore: viewed.fromStore }
      : scored;
    // With a feature view, capture and explanations see the features scored (the view's included), not the bare request.
    const scoredRecords = viewed.fromStore ? () => tableRecords(rows) : undefined;
    const predictionLog = config.logPredictions
      ? await this.recordPredictions(
          predictionLines(
            model.name,
            model.version,
            scoredAt,
            ids,
            result.predictions.map((prediction) => prediction.score),
            result.predictions.every((prediction) => prediction.label !== undefined)
              ? result.predictions.map((prediction) => prediction.label!)
              : undefined,
            new Array<boolean>(rows.rowCount).fill(true),
            config.recordFeatures
              ? recordedFeaturesOfRows(
                  rows,
                  recordableFeatureNames(model.scorer.artifact.schema),
                  new Array<boolean>(rows.rowCount).fill(true),
                )
              : undefined,
          ),
          ids[0],
        )
      : 'off';
    const captured = this.captureRequest(() => ({
      requestId,
      model: model.name,
      version: model.version,
      instances: scoredRecords
        ? scoredRecords()
        : idFieldDropped === undefined
          ? request.records()
          : withoutField(request.records(), idFieldDropped),
      predictions: result.predictions.map((prediction, index) => ({ id: ids[index]!, ...prediction })),
      warnings: result.warnings,
    }));
    const explained = explain
      ? explainInstances(model.scorer, scoredRecords ? scoredRecords() : request.records())
      : undefined;
    return {
      response: explained
        ? jsonResponse(200, explainedBody(responseFormat, result, ids, explained))
        : { statusCode: 200, headers: JSON_HEADERS, body: predictResponseJson(responseFormat, result, ids) },
      rows: rows.rowCount,
      warnings: result.warnings.length,
      captured,
      modelVersion: model.version,
      predictionLog,
    };
  }

  /** The id of each row: the caller's, from the column `predictions.idField` names (checked), else a new one of ours. */
  private predictionIds(request: RequestTable, scoredAt: Date): string[] {
    const { table } = request;
    const idField = this.options.config.predictionIdField;
    const index = idField === undefined ? -1 : table.columnNames.indexOf(idField);
    if (idField === undefined || index < 0) {
      return predictionIdsAt(scoredAt, table.rowCount, this.idRandomness.take(10 * table.rowCount));
    }
    const callerIds = table.columns[index]!.map(callerIdOf);
    const wanted = callerIds.reduce<number>((count, id) => (id === null || id === undefined ? count + 1 : count), 0);
    // One draw of random bytes for the request: a draw per id was a tenth of a large request's time.
    const generated = predictionIdsAt(scoredAt, wanted, this.idRandomness.take(10 * wanted));
    let next = 0;
    return assignPredictionIds(
      callerIds,
      (row) => request.fieldOf(row, idField),
      scoredAt,
      () => generated[next++]!,
    );
  }

  /**
   * A model with a feature view: the request with the view's features its rows lack, read from the
   * online store in one batch (core/feature-views/lookup.ts), without the entity key. Rows of an
   * unknown entity under onMissingEntity 'reject' fail the request (400), as a missing feature
   * does under missingFeatures 'reject'.
   */
  private async withViewFeatures(
    request: RequestTable,
    model: ServingModel,
  ): Promise<{
    table: DataTable;
    rowsWithColumn?: readonly number[];
    fromStore?: ReadonlyArray<readonly string[]>;
    warnings: readonly string[];
  }> {
    const { featureLookup } = this.options.config;
    const store = this.options.featureStore;
    if (!featureLookup || !store) return { table: request.table, rowsWithColumn: request.rowsWithColumn, warnings: [] };
    const { view, table } = featureLookup;
    const result = await lookupFeatures(tableLookupRows(request.table, request.fieldOf), {
      view,
      modelFeatures: modelColumnsOf(model.scorer).featureNames,
      store,
      nowMs: this.now(),
      storeName: `DynamoDB table ${table}`,
    });
    if (result.rejected.size > 0) {
      const [row, reason] = [...result.rejected][0]!;
      const more = result.rejected.size - 1;
      throw new InputError(
        `${reason}${more > 0 ? `; and ${more} more row(s)` : ''}`,
        request.fieldOf(row, view.entityKey),
      );
    }
    const merged = mergeIntoTable(request.table, result, {
      dropColumn: view.entityKey,
      rowsWithColumn: request.rowsWithColumn,
    });
    return { ...merged, fromStore: result.fromStore, warnings: result.warnings };
  }

  /** The rows to score: without the caller's id column, unless the model has a feature of that name. */
  private withoutIdColumn(
    request: { readonly table: DataTable; readonly rowsWithColumn?: readonly number[] },
    model: ServingModel,
  ): { rows: DataTable; rowsWithColumn?: readonly number[]; idFieldDropped?: string } {
    const { table, rowsWithColumn } = request;
    const idField = this.options.config.predictionIdField;
    const index = idField === undefined ? -1 : table.columnNames.indexOf(idField);
    if (index < 0) return { rows: table, rowsWithColumn };
    const isFeature = model.scorer.artifact.schema.columns.some(
      (column) => column.role === 'feature' && column.name === idField,
    );
    if (isFeature) return { rows: table, rowsWithColumn };
    const keep = (_: unknown, c: number) => c !== index;
    return {
      rows: {
        columnNames: table.columnNames.filter(keep),
        columns: table.columns.filter(keep),
        rowCount: table.rowCount,
      },
      rowsWithColumn: rowsWithColumn?.filter(keep),
      idFieldDropped: idField,
    };
  }

  /**
   * Writes the request's prediction records as one batch. Never fails the response: a failed
   * write is logged and counted (the handler's PredictionLogFailures metric); a write slower than
   * PREDICTION_LOG_WAIT_MS goes on in the background.
   */
  private async recordPredictions(
    lines: readonly string[],
    firstId: string | undefined,
  ): Promise<'written' | 'failed'> {
    const { monitoring, logger } = this.options;
    const write = writePredictionLines(
      monitoring,
      this.modelName,
      lines,
      new Date(this.now()),
      this.idRandomness.take(10),
    ).then(
      () => 'written' as const,
      (error: unknown) => {
        logger?.error('prediction log write failed; the predictions were answered but are not recorded for the join', {
          predictions: lines.length,
          firstId,
          error: clipText(error instanceof Error ? error.message : String(error)),
        });
        return 'failed' as const;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), PREDICTION_LOG_WAIT_MS);
    });
    const outcome = await Promise.race([write, waited]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    logger?.warn('prediction log write is slow; answering without waiting for it', { predictions: lines.length });
    const late = write.finally(() => this.lateLogWrites.delete(late));
    this.lateLogWrites.add(late);
    return 'written';
  }

  /**
   * POST /feedback: `{"actuals": [{"id", "label"}, ...]}`, stored as one batch for the join.
   * No model is needed: outcomes are kept even while none is served. 202: the join reads them on
   * its next run.
   */
  private async feedback(event: unknown): Promise<RequestOutcome> {
    const body = readJsonBody(event as { body?: string; isBase64Encoded?: boolean }, {
      maxBytes: this.options.config.maxBodyBytes,
    });
    const actuals = parseFeedbackRequest(body);
    const receivedAt = new Date(this.now());
    try {
      await writeActualsBatch(this.options.monitoring, this.modelName, actualRecords(actuals, receivedAt), receivedAt);
    } catch (error) {
      this.options.logger?.error('actuals write failed', {
        actuals: actuals.length,
        error: clipText(error instanceof Error ? error.message : String(error)),
      });
      throw new HttpError(503, 'the actuals could not be stored; send the same request again', undefined, {
        'retry-after': '5',
      });
    }
    const distinct = new Set(actuals.map((actual) => actual.id)).size;
    return {
      response: jsonResponse(202, {
        model: this.modelName,
        accepted: actuals.length,
        // The same id twice in one request is kept; the last one wins in the join.
        repeatedIds: actuals.length - distinct,
      }),
      rows: 0,
      warnings: 0,
      captured: false,
      actuals: actuals.length,
    };
  }

  /**
   * Samples one answered request and keeps it for startDueFlush to buffer after the response.
   * Capture is best effort: nothing it does fails the response.
   */
  private captureRequest(record: () => Omit<CaptureRecord, 'time'>): boolean {
    try {
      if (!this.capture.sample()) return false;
      // At most one parsed request waits: one left over (startDueFlush not called, or not yet run)
      // is buffered now, so memory stays within the capture buffer's byte bound plus one request.
      this.bufferPendingCaptures();
      const nowMs = this.now();
      // The record (the rows as sent, with their ids) is built with the buffering, after the response.
      this.pendingCaptures.push({ record, nowMs });
      return true;
    } catch (error) {
      this.options.logger?.error('capture failed; the response is sent without it', {
        error: clipText(error instanceof Error ? error.message : String(error)),
      });
      return false;
    }
  }

  /** Builds and serialises the sampled requests into the capture buffer (CaptureBuffer.add never throws). */
  private bufferPendingCaptures(): void {
    for (const { record, nowMs } of this.pendingCaptures.splice(0)) {
      try {
        this.capture.add({ ...record(), time: new Date(nowMs).toISOString() }, nowMs);
      } catch (error) {
        this.options.logger?.error('capture failed; the request is not captured', {
          error: clipText(error instanceof Error ? error.message : String(error)),
        });
      }
    }
  }
}

/**
 * Random bytes for prediction ids, drawn from the system 16 KiB at a time: a draw per request
 * cost a one-row request more than making its id. Ids must be unique, not secret.
 */
class RandomPool {
  private static readonly SIZE = 16 * 1024;
  private buffer = randomBytes(RandomPool.SIZE);
  private used = 0;

  take(count: number): Uint8Array {
    if (count > RandomPool.SIZE) return randomBytes(count);
    if (this.used + count > RandomPool.SIZE) {
      this.buffer = randomBytes(RandomPool.SIZE);
      this.used = 0;
    }
    const bytes = this.buffer.subarray(this.used, this.used + count);
    this.used += count;
    return bytes;
  }
}

/** The body of an explained response (`?explain=true`): each prediction with its explanation, in either response format. */
function explainedBody(
  format: ResponseFormat,
  result: PredictResponse,
  ids: readonly string[],
  explained: ReturnType<typeof explainInstances>,
): object {
  const { fromStore, ...rest } = result;
  const predictions = result.predictions.map((prediction, index) => ({
    id: ids[index]!,
    ...prediction,
    ...(fromStore ? { from_store: fromStore[index] } : {}),
    explanation: explained.rows[index],
  }));
  if (format === 'mlflow') return { predictions };
  return { ...rest, predictions, explanation: explained.summary };
}

/** Domain errors of the inference path as HTTP: the error middleware's classifier. */
export function classifyInferenceError(error: unknown): HttpError | undefined {
  if (error instanceof InputError) return new HttpError(400, error.message, error.field);
  if (error instanceof GroundTruthInputError) return new HttpError(400, error.message, error.field);
  // A deployment mistake, not a secret: saying which variable is wrong saves a trip to the logs.
  if (error instanceof InferenceConfigError) return new HttpError(500, error.message);
  if (error instanceof ModelUnavailableError)
    return new HttpError(503, error.message, undefined, { 'retry-after': '60' });
  if (error instanceof FeatureStoreUnavailableError)
    return new HttpError(503, error.message, undefined, { 'retry-after': '5' });
  return undefined;
}
