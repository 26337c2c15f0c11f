import type { PolicyResult } from '../../core/ground-truth/policy';
import { describeRetrain, type RetrainOutcome } from '../shared/retrain-cooldown';
import type { RollbackOutcome } from './check';

export interface QualityAlert {
  readonly subject: string;
  readonly message: string;
}

export function describeRollback(outcome: RollbackOutcome): string {
  switch (outcome.status) {
    case 'not-needed':
      return 'not needed';
    case 'disabled':
      return 'not done: quality.rollbackOnRegression is off';
    case 'rolled-back':
      return `production moved from version ${outcome.from} back to version ${outcome.to}`;
    case 'superseded':
    case 'failed':
      return `NOT done: ${outcome.error}`;
  }
}

/** SNS subject (ASCII, under 100 characters) and a plain-text body naming every breached check. */
export function qualityAlert(inputs: {
  model: string;
  version: number;
  policy: PolicyResult;
  retrain: RetrainOutcome;
  rollback: RollbackOutcome;
  window: { start: string; end: string; hours: number };
  reportUri: string;
  htmlUri: string;
}): QualityAlert {
  const { model, version, policy } = inputs;
  const subject =
    inputs.rollback.status === 'rolled-back'
      ? `Quality regression in ${model}: rolled back from version ${inputs.rollback.from} to ${inputs.rollback.to}`
      : policy.status === 'regressed'
        ? `Quality regression in ${model}: version ${version} measures worse than its predecessor`
        : `Quality drop in ${model} (version ${version})`;
  const lines = [
    `Quality check of ${model} (production version ${version}) on predictions made ${inputs.window.start} to ${inputs.window.end}.`,
    '',
    'What was found:',
    ...policy.reasons.map((reason) => `  - ${reason}`),
    '',
    `Rollback: ${describeRollback(inputs.rollback)}.`,
    `Retraining: ${describeRetrain(inputs.retrain, 'quality.retrain')}.`,
    '',
    `Report: ${inputs.htmlUri}`,
    `JSON: ${inputs.reportUri}`,
  ];
  return { subject: subject.slice(0, 99), message: `${lines.join('\n')}\n` };
}
