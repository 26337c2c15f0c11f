import type { ExecutionRecord } from './step-functions';

/** Short texts for the platform's progress lines. */

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** A run's outcome in a few words: the failure, or the version it registered and the evaluation's decision. */
export function summarizeExecution(execution: ExecutionRecord): string {
  if (execution.status === 'FAILED') return `: ${execution.error ?? ''} ${truncate(execution.cause ?? '', 300)}`;
  if (execution.status !== 'SUCCEEDED' || !execution.output) return '';
  const output = JSON.parse(execution.output) as {
    evaluation?: { decision?: string; reason?: string };
    registration?: { version?: number; promoted?: boolean };
  };
  const version = output.registration?.version;
  return ` (version ${version}, ${output.evaluation?.decision}: ${output.evaluation?.reason})`;
}
