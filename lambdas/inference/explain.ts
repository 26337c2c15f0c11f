/**
 * `POST /predict?explain=true`: each prediction also carries its TreeSHAP explanation, one
 * contribution per input feature plus the base value, in margin units (log-odds for binary):
 * base + the contributions = the margin, and score = 1 / (1 + e^-margin) for binary models.
 */
import type { Scorer } from '../../core/score/scorer';
import { badRequest, HttpError } from '../shared/http';
import type { Instance } from './request';

/** One prediction's explanation. */
export interface RowExplanation {
  readonly base: number;
  /** Input feature -> contribution to the margin. */
  readonly contributions: Readonly<Record<string, number>>;
}

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

/** Rows one explained request may hold for this model; 1,000 rows fit unless the model has hundreds of features. */
export function maxExplainedRows(scorer: Scorer): number {
  return Math.floor(EXPLANATION_BUDGET_BYTES / explanationBytesPerRow(scorer));
}

/**
 * Checks that the model can be explained (a 400 naming why not) and that `rows` explanations fit
 * in a response (a 413 naming the largest request that does), before anything is scored.
 */
export function checkExplainable(scorer: Scorer, rows: number): void {
  // explanationBase throws ExplanationUnavailableError (a 400) for a model TreeSHAP cannot explain.
  if (!Number.isFinite(scorer.explanationBase)) {
    throw new HttpError(500, "the model's explanation base value is not finite; its node covers are corrupt");
  }
  const most = maxExplainedRows(scorer);
  if (rows > most) {
    throw new HttpError(
      413,
      `explanations of ${rows} rows would not fit in a response (Lambda returns at most 6 MB); ` +
        `this model's ${scorer.pipeline.inputColumns.length} features allow at most ${most} rows per request with explain=true`,
      'instances',
    );
  }
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
