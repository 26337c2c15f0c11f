import {
  actualRecords,
  predictionRecords,
  recordableFeatureNames,
  recordedFeatures,
  takeCallerIds,
  writeActualsBatch,
  writePredictionBatch,
} from '../../core/ground-truth/prediction-log';
import {
  assignPredictionIds,
  GroundTruthInputError,
  type PredictionRecord,
  parseFeedbackRequest,
} from '../../core/ground-truth/records';
import { InputError } from '../../core/score/scorer';
import type { ObjectStore } from '../../core/storage/object-store';
import { clipText } from '../../core/text/clip';
import { HttpError, type HttpResponse, jsonResponse } from '../shared/http';
import { readJsonBody } from '../shared/json-body';
import { type CacheLogger, ModelCache, ModelUnavailableError } from '../shared/model-cache';
import { matchRoute, type Routes, requestLineOf } from '../shared/routing';
import { CaptureBuffer, type CaptureRecord } from './capture';
import { type InferenceConfig, InferenceConfigError } from './config';
import { checkExplainable, explainInstances, explainRequested } from './explain';
import { describeModel, predict, type ScoringBackend } from './predict';
import { parsePredictRequest } from './request';

export interface InferenceAppOptions {
  readonly config: InferenceConfig;
  /** The artifacts zone (the registry). */
  readonly artifacts: ObjectStore;
  /** The monitoring zone (captured traffic, the prediction log, posted actuals). */
  readonly monitoring: ObjectStore;
  readonly backend: ScoringBackend;
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
  private readonly pendingCaptures: Array<{ readonly record: CaptureRecord; readonly nowMs: number }> = [];
  private readonly lateLogWrites = new Set<Promise<unknown>>();

  constructor(private readonly options: InferenceAppOptions) {
    const { config } = options;
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
    // Request-level checks first: a bad request is a 400 even while no model is loaded.
    const body = readJsonBody(event as { body?: string; isBase64Encoded?: boolean }, { maxBytes: config.maxBodyBytes });
    const requested = parsePredictRequest(body, config.maxInstances);
    const explain = explainRequested(event);
    const idField = config.predictionIdField;
    const split = takeCallerIds(requested, idField, () => false);
    const scoredAt = new Date(this.now());
    const ids = assignPredictionIds(split.callerIds, (index) => `instances[${index}].${idField}`, scoredAt);
    const model = await this.cache.get();
    const keepIdField =
      idField !== undefined &&
      model.scorer.artifact.schema.columns.some((column) => column.role === 'feature' && column.name === idField);
    const instances = keepIdField ? requested : split.instances;
    if (explain) checkExplainable(model.scorer, instances.length);
    const result = await predict(
      model,
      instances,
      { unknownFeatures: config.unknownFeatures, missingFeatures: config.missingFeatures },
      backend,
    );
    const predictions = result.predictions.map((prediction, index) => ({ id: ids[index]!, ...prediction }));
    const predictionLog = config.logPredictions
      ? await this.recordPredictions(
          predictionRecords(
            model.name,
            model.version,
            scoredAt,
            ids,
            result.predictions,
            config.recordFeatures
              ? instances.map((instance) =>
                  recordedFeatures(instance, recordableFeatureNames(model.scorer.artifact.schema)),
                )
              : undefined,
          ),
        )
      : 'off';
    const captured = this.captureRequest({
      requestId,
      model: model.name,
      version: model.version,
      instances,
      predictions,
      warnings: result.warnings,
    });
    const explained = explain ? explainInstances(model.scorer, instances) : undefined;
    const answered = explained
      ? predictions.map((prediction, index) => ({ ...prediction, explanation: explained.rows[index] }))
      : predictions;
    return {
      response: jsonResponse(200, {
        ...result,
        predictions: answered,
        ...(explained ? { explanation: explained.summary } : {}),
      }),
      rows: instances.length,
      warnings: result.warnings.length,
      captured,
      modelVersion: model.version,
      predictionLog,
    };
  }

  /**
   * Writes the request's prediction records as one batch. Never fails the response: a failed
   * write is logged and counted (the handler's PredictionLogFailures metric); a write slower than
   * PREDICTION_LOG_WAIT_MS goes on in the background.
   */
  private async recordPredictions(records: PredictionRecord[]): Promise<'written' | 'failed'> {
    const { monitoring, logger } = this.options;
    const write = writePredictionBatch(monitoring, this.modelName, records, new Date(this.now())).then(
      () => 'written' as const,
      (error: unknown) => {
        logger?.error('prediction log write failed; the predictions were answered but are not recorded for the join', {
          predictions: records.length,
          firstId: records[0]?.id,
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
    logger?.warn('prediction log write is slow; answering without waiting for it', { predictions: records.length });
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
  private captureRequest(record: Omit<CaptureRecord, 'time'>): boolean {
    try {
      if (!this.capture.sample()) return false;
      // At most one parsed request waits: one left over (startDueFlush not called, or not yet run)
      // is buffered now, so memory stays within the capture buffer's byte bound plus one request.
      this.bufferPendingCaptures();
      const nowMs = this.now();
      this.pendingCaptures.push({ record: { ...record, time: new Date(nowMs).toISOString() }, nowMs });
      return true;
    } catch (error) {
      this.options.logger?.error('capture failed; the response is sent without it', {
        error: clipText(error instanceof Error ? error.message : String(error)),
      });
      return false;
    }
  }

  /** Serialises the sampled requests into the capture buffer (CaptureBuffer.add never throws). */
  private bufferPendingCaptures(): void {
    for (const { record, nowMs } of this.pendingCaptures.splice(0)) this.capture.add(record, nowMs);
  }
}

/** Domain errors of the inference path as HTTP: the error middleware's classifier. */
export function classifyInferenceError(error: unknown): HttpError | undefined {
  if (error instanceof InputError) return new HttpError(400, error.message, error.field);
  if (error instanceof GroundTruthInputError) return new HttpError(400, error.message, error.field);
  // A deployment mistake, not a secret: saying which variable is wrong saves a trip to the logs.
  if (error instanceof InferenceConfigError) return new HttpError(500, error.message);
  if (error instanceof ModelUnavailableError)
    return new HttpError(503, error.message, undefined, { 'retry-after': '60' });
  return undefined;
}
