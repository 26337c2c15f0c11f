/**
 * `POST /predict?explain=true`: each prediction also carries its TreeSHAP explanation, one
 * contribution per input feature plus the base value, in margin units (log-odds for binary):
 * base + the contributions = the margin, and score = 1 / (1 + e^-margin) for binary models.
 */
import type { RowExplanation } from '../../core/explain/explanation';
import type { Scorer } from '../../core/score/scorer';
import { badRequest, HttpError } from '../shared/http';
import type { Instance } from './request';

/** Said once per response: how to read the explanations. */
export interface ExplanationSummary {
  readonly method: 'tree-shap (path-dependent)';
  /** log-odds for binary models, the prediction's own units for regression. */
  readonly units: 'log-odds' | 'prediction';
  readonly additivity: string;
}

/**
 * Lambda answers at most 6 MB; explanations may take 4 MiB of it, leaving 2 MiB for the
 * predictions, ids and warnings of a 1,000-row request.
 */
export const EXPLANATION_BUDGET_BYTES = 4 * 1024 * 1024;

/** The longest text a JavaScript number prints as (e.g. -2.2250738585072014e-308). */
const LONGEST_NUMBER = 'x'.repeat(24);

/** Reads `explain` from the query string: absent or `false` is off, `true` is on, anything else a 400. */
export function explainRequested(event: unknown): boolean {
  const query = (event as { queryStringParameters?: Record<string, string | undefined> } | null)?.queryStringParameters;
  const value = query?.explain;
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`explain must be true or false, got "${value.slice(0, 40)}"`, 'explain');
}

/**
 * The most bytes one row's explanation can add to the response as Lambda returns it: every number
 * at its longest, and the body's quotes escaped once more inside the Function URL's JSON envelope.
 */
export function explanationBytesPerRow(scorer: Scorer): number {
  const entries = scorer.pipeline.inputColumns.map((name) => `${JSON.stringify(name)}:${LONGEST_NUMBER}`);
  const fragment = `,"explanation":{"base":${LONGEST_NUMBER},"contributions":{${entries.join(',')}}}`;
  return Buffer.byteLength(JSON.stringify(fragment)) - 2;
}

/** Rows whose explanations fit in a response; 1,000 rows fit unless the model has hundreds of features. */
export function maxExplainedRowsInResponse(scorer: Scorer): number {
  return Math.floor(EXPLANATION_BUDGET_BYTES / explanationBytesPerRow(scorer));
}

/**
 * Time one TreeSHAP path step takes (core/explain/tree-shap.ts, `stepsPerRow`). Measured on the
 * 2-core development machine, shared and loaded (load average 3.4), by timing explainRow over
 * full random forests: 6.8 ns per step for 100 trees of depth 6 (2.1 ms a row), 8.2 for 300 of
 * depth 6, 10.0 for 200 of depth 3 (more per-node overhead per step), 6.8 for 100 of depth 8, 4.7
 * for 50 of depth 10, 5.3 for 500 of depth 4; our GBDT of 100 trees of depth 6 (204,031 steps)
 * 6.0 ns, 1.23 ms a row against 2.04 estimated. The slowest is taken, for the spread between runs
 * and a Lambda vCPU (the endpoint's 1769 MB buys one) that may be slower than this machine's.
 */
export const EXPLAIN_NS_PER_STEP = 10;

/**
 * The time explanations may take in one request: a third of the endpoint's 15 s timeout
 * (lib/inference-endpoint.ts), leaving the rest for a cold start's model load, parsing and
 * scoring the rows, the response, and a Lambda vCPU slower than the machine measured on.
 */
export const EXPLAIN_TIME_BUDGET_MS = 5000;

/** Milliseconds one row's explanation takes for this model, by its shape (leaves x depth^2), not its rows. */
export function explainMsPerRow(scorer: Scorer): number {
  return (scorer.explanationStepsPerRow * EXPLAIN_NS_PER_STEP) / 1e6;
}

/** Rows whose explanations fit in EXPLAIN_TIME_BUDGET_MS for this model (0 when one row does not). */
export function maxExplainedRowsInTime(scorer: Scorer): number {
  return Math.floor(EXPLAIN_TIME_BUDGET_MS / explainMsPerRow(scorer));
}

/** Rows one explained request may hold for this model: the smaller of the response and time bounds. */
export function maxExplainedRows(scorer: Scorer): number {
  return Math.min(maxExplainedRowsInResponse(scorer), maxExplainedRowsInTime(scorer));
}

/**
 * Checks that the model can be explained (a 400 naming why not) and that explaining `rows` fits in
 * a response and in the time allowed (a 413 naming the largest request that does), before
 * anything is scored.
 */
export function checkExplainable(scorer: Scorer, rows: number): void {
  // explanationBase throws ExplanationUnavailableError (a 400) for a model TreeSHAP cannot explain.
  if (!Number.isFinite(scorer.explanationBase)) {
    throw new HttpError(500, "the model's explanation base value is not finite; its node covers are corrupt");
  }
  const inResponse = maxExplainedRowsInResponse(scorer);
  if (rows > inResponse) {
    throw new HttpError(
      413,
      `explanations of ${rows} rows would not fit in a response (Lambda returns at most 6 MB); ` +
        `this model's ${scorer.pipeline.inputColumns.length} features allow at most ${inResponse} rows per request with explain=true`,
      'instances',
    );
  }
  const inTime = maxExplainedRowsInTime(scorer);
  if (rows > inTime) {
    const perRow = explainMsPerRow(scorer);
    const trees = scorer.model.shapForest?.trees.length ?? 0;
    throw new HttpError(
      413,
      `explaining ${rows} rows would take about ${seconds(rows * perRow)} s: this model's ${trees} trees cost about ` +
        `${perRow.toPrecision(2)} ms a row, and explanations may take ${seconds(EXPLAIN_TIME_BUDGET_MS)} s of the endpoint's time; ` +
        (inTime === 0
          ? 'this model is too large to explain on the endpoint; use mlops predict --explain'
          : `this model allows at most ${inTime} rows per request with explain=true`),
      'instances',
    );
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toPrecision(2);
}

/** Explains each instance (validated already, as for scoring). */
export function explainInstances(
  scorer: Scorer,
  instances: readonly Instance[],
): { summary: ExplanationSummary; rows: RowExplanation[] } {
  const base = scorer.explanationBase;
  const columns = scorer.pipeline.inputColumns;
  const contributions = new Float64Array(columns.length);
  const rows = instances.map((instance): RowExplanation => {
    scorer.explainRecord(instance, contributions);
    // fromEntries defines own properties: a column named `__proto__` stays a plain key.
    return { base, contributions: Object.fromEntries(columns.map((column, c) => [column, contributions[c]])) };
  });
  const units = scorer.marginUnits;
  return {
    summary: {
      method: 'tree-shap (path-dependent)',
      units,
      additivity:
        units === 'log-odds'
          ? 'base + sum(contributions) = log-odds of the score; score = 1 / (1 + exp(-log-odds))'
          : 'base + sum(contributions) = score',
    },
    rows,
  };
}
