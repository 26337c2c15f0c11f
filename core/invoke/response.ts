import * as z from 'zod';
import { clipText } from '../text/clip';
import type { PlannedRequest } from './requests';

/**
 * What `mlops invoke` reads from the endpoint's answers: the predict response (only the fields it
 * prints; anything else a prediction carries, such as an explanation, is kept as it came) and the
 * `{"error": {"message", "field"}}` body of a 4xx or 5xx.
 */
export const PredictAnswerSchema = z.object({
  model: z.object({ name: z.string(), version: z.number() }),
  predictions: z.array(z.record(z.string(), z.unknown())),
  warnings: z.array(z.string()).default([]),
});
export type PredictAnswer = z.infer<typeof PredictAnswerSchema>;

/** Raised when an answer is not what the endpoint sends: the wrong URL, or a proxy in between. */
export class EndpointResponseError extends Error {
  override readonly name = 'EndpointResponseError';
}

/** The answers of every request, as one: predictions in input order, warnings merged. */
export interface InvokeResult {
  readonly model: { readonly name: string; readonly version: number };
  readonly predictions: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly warnings: readonly string[];
  /** Requests sent (more than one when the input passed the endpoint's row or byte limit). */
  readonly requests: number;
}

export function parsePredictAnswer(text: string, request: PlannedRequest): PredictAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EndpointResponseError(`the endpoint answered 200 with a body that is not JSON: ${clipText(text, 200)}`);
  }
  const parsed = PredictAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EndpointResponseError(
      `the endpoint's answer is not a predict response (${issue.path.join('.') || 'top level'}: ${issue.message}); is the URL a model endpoint?`,
    );
  }
  if (parsed.data.predictions.length !== request.rows) {
    throw new EndpointResponseError(
      `the endpoint answered ${parsed.data.predictions.length} predictions for ${request.rows} rows`,
    );
  }
  return parsed.data;
}

/**
 * Joins the answers of consecutive requests. The endpoint's warnings count instances per request
 * (`feature "x" missing in 3 instance(s); ...`): the same warning is summed across requests. A
 * promotion between two requests means two versions answered: said as a warning.
 */
export function mergeAnswers(answers: readonly PredictAnswer[]): InvokeResult {
  const first = answers[0];
  if (!first) throw new RangeError('mergeAnswers needs at least one answer');
  const counted = new Map<string, { before: string; after: string; count: number }>();
  const plain = new Set<string>();
  for (const answer of answers) {
    for (const warning of answer.warnings) {
      const match = /^(.*) in (\d+) instance\(s\)(.*)$/s.exec(warning);
      if (!match) {
        plain.add(warning);
        continue;
      }
      const key = `${match[1]}\u0000${match[3]}`;
      const entry = counted.get(key) ?? { before: match[1]!, after: match[3]!, count: 0 };
      entry.count += Number(match[2]);
      counted.set(key, entry);
    }
  }
  const warnings = [
    ...[...counted.values()].map((entry) => `${entry.before} in ${entry.count} instance(s)${entry.after}`),
    ...plain,
  ];
  const versions = [...new Set(answers.map((answer) => answer.model.version))];
  if (versions.length > 1) {
    warnings.push(
      `versions ${versions.join(', ')} of ${first.model.name} answered: production moved while the requests were sent`,
    );
  }
  return {
    model: first.model,
    predictions: answers.flatMap((answer) => answer.predictions),
    warnings,
    requests: answers.length,
  };
}

/**
 * One line for a failed request: the status and the endpoint's own message. A field the endpoint
 * names by its place in the request (`instances[5].age`) is also named by its row in the input.
 */
export function endpointErrorLine(status: number, text: string, request: PlannedRequest, requests: number): string {
  const { message, field } = errorOfBody(text);
  const place = requests > 1 ? ` (request ${request.index + 1} of ${requests})` : '';
  const index = field === undefined ? undefined : /^instances\[(\d+)\]/.exec(field)?.[1];
  const row = index === undefined ? '' : ` [input row ${request.firstRow + Number(index) + 1}]`;
  return `${status}${place}: ${message}${row}`;
}

/** Exit code of a failed request: 2 when the request was at fault (4xx), 1 otherwise (5xx). */
export function exitCodeOfStatus(status: number): number {
  return status >= 400 && status < 500 ? 2 : 1;
}

/** Our `{"error": {...}}`, or what AWS itself answers (`{"Message": ...}` on an auth failure, `{"message": ...}`). */
function errorOfBody(text: string): { message: string; field?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { message: text.trim() === '' ? 'no message' : clipText(text.trim(), 300) };
  }
  const body = json as { error?: { message?: unknown; field?: unknown }; Message?: unknown; message?: unknown };
  const ours = body?.error;
  if (ours && typeof ours.message === 'string') {
    return { message: ours.message, ...(typeof ours.field === 'string' ? { field: ours.field } : {}) };
  }
  if (typeof body?.Message === 'string') return { message: body.Message };
  if (typeof body?.message === 'string') return { message: body.message };
  return { message: clipText(text.trim(), 300) };
}
