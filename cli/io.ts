import type { CommandSpec } from './args';

export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal: progress redraws one line instead of printing many. */
  readonly interactive: boolean;
}

export interface Command {
  readonly spec: CommandSpec;
  /** Returns the process exit code. */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
};

/** Progress for long work: every 10th iteration (and the last) on a pipe; a live line on a terminal. */
export function progressPrinter(io: CommandIo) {
  let lastLearner = '';
  return (event: {
    learner: string;
    iteration: number;
    total: number;
    validationMetric?: number;
    metricName?: string;
  }) => {
    const name = event.metricName ?? 'metric';
    // Learners report a validation metric, or (linear, while converging) their training objective.
    const label = name.startsWith('train') ? name : `validation ${name}`;
    const metric = event.validationMetric === undefined ? '' : `  ${label} ${event.validationMetric.toFixed(4)}`;
    const line = `  ${event.learner}: ${event.learner === 'gbdt' ? 'tree' : 'iteration'} ${event.iteration}/${event.total}${metric}`;
    if (io.interactive) {
      io.err(`\r${line.padEnd(70)}`);
      if (event.iteration === event.total) io.err('\n');
    } else if (event.iteration % 10 === 0 || event.iteration === event.total || event.learner !== lastLearner) {
      io.err(`${line}\n`);
    }
    lastLearner = event.learner;
  };
}
