import { clipText } from '../../core/text/clip';
import { HttpError } from '../shared/http';
import type { ScoringBackend } from './predict';

/**
 * The SageMaker backend, for models too large for a Lambda function: this function still
 * validates the request and applies the model's fitted feature pipeline (so training and serving
 * compute the same features), then sends the feature vectors as CSV (one row per instance, no
 * header, columns in the pipeline's feature order) to InvokeEndpoint and reads one score per row.
 *
 * The AWS call is injected (`SageMakerInvoke`; sagemaker-client.ts builds it from the SDK), so
 * everything here is tested without AWS. There is no local SageMaker: the tests replace the
 * client's `send`, and only a deployed endpoint shows the real round trip.
 */
export type SageMakerInvoke = (request: {
  readonly body: string;
  readonly contentType: 'text/csv';
  readonly accept: string;
}) => Promise<{ readonly body: Uint8Array; readonly contentType?: string }>;

export const SAGEMAKER_ACCEPT = 'text/csv';

export function sageMakerBackend(invoke: SageMakerInvoke): ScoringBackend {
  return {
    kind: 'sagemaker',
    score: async (model, rows) => {
      const { scorer } = model;
      const matrix = scorer.pipeline.transformTable(rows);
      const vector = new Float64Array(matrix.columns.length);
      const lines = new Array<string>(rows.rowCount);
      for (let row = 0; row < rows.rowCount; row++) {
        for (let f = 0; f < vector.length; f++) vector[f] = matrix.columns[f]![row]!;
        lines[row] = featureRowCsv(vector);
      }
      const body = lines.join('\n');
      const response = await invoke({ body, contentType: 'text/csv', accept: SAGEMAKER_ACCEPT });
      const scores = parseSageMakerScores(new TextDecoder().decode(response.body), rows.rowCount, response.contentType);
      return scores.map((score) => scorer.predictionFor(score));
    },
  };
}

/** One CSV row; the pipeline's output is always finite, so plain number formatting is exact. */
export function featureRowCsv(vector: Float64Array): string {
  return Array.from(vector, (value) => String(value)).join(',');
}

/**
 * Reads the endpoint's scores: CSV (one per line, or comma-separated on one line) or JSON
 * (`[0.1, ...]`, `{"predictions": [0.1, ...]}` or `{"predictions": [{"score": 0.1}, ...]}`).
 * A count or value that does not fit is the endpoint's fault: 502, never blamed on the client.
 */
export function parseSageMakerScores(text: string, expected: number, contentType = ''): number[] {
  const trimmed = text.trim();
  let scores: unknown[];
  if (contentType.includes('json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw upstream(`the SageMaker endpoint answered invalid JSON: ${clipText(trimmed)}`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(list))
      throw upstream(`the SageMaker endpoint answered JSON without a predictions list: ${clipText(trimmed)}`);
    scores = list.map((item) =>
      typeof item === 'object' && item !== null ? (item as { score?: unknown }).score : item,
    );
  } else {
    scores =
      trimmed === '' ? [] : trimmed.split(/[\r\n,]+/).map((cell) => (cell.trim() === '' ? Number.NaN : Number(cell)));
  }
  if (scores.length !== expected) {
    throw upstream(`the SageMaker endpoint returned ${scores.length} score(s) for ${expected} instance(s)`);
  }
  return scores.map((score, index) => {
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw upstream(
        `the SageMaker endpoint returned a non-numeric score for instance ${index}: ${JSON.stringify(score)}`,
      );
    }
    return score;
  });
}

function upstream(message: string): HttpError {
  return new HttpError(502, message);
}
