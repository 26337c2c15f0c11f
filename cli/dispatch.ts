import { ArtifactError } from '../core/artifact/format';
import { ConfigError } from '../core/config/parse';
import { DataError } from '../core/data/table';
import { ImportError } from '../core/import/import-error';
import { RegistryError } from '../core/registry/registry';
import { ScoringTargetError } from '../core/score/out-paths';
import { InputError } from '../core/score/scorer';
import { UsageError } from './args';
import type { Command, CommandIo } from './io';

/** Errors of the core that describe bad input; printed as one line with exit code 2. */
export const CORE_INPUT_ERRORS: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  DataError,
  ArtifactError,
  InputError,
  ConfigError,
  RegistryError,
  ScoringTargetError,
  ImportError,
];

export interface CommandSet {
  readonly commands: readonly Command[];
  /** Error classes printed as one line with exit code 2 (bad input, not a bug). */
  readonly inputErrors: ReadonlyArray<abstract new (...args: never[]) => Error>;
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.spec.name.length)) + 2;
  return [
    'mlops: train, serve and monitor tabular models; deploy with the AWS CDK or run locally',
    '',
    'usage: mlops <command> [options]',
    '',
    'commands:',
    ...commands.map((command) => `  ${command.spec.name.padEnd(width)} ${command.spec.summary}`),
    '',
    "run 'mlops <command> --help' for a command's options",
    '',
  ].join('\n');
}

/**
 * Runs one command line against a set of commands; returns the exit code. Expected errors print
 * one line, never a stack. The full CLI and the trainer image's entry (trainer and score only)
 * share it, so both exit the same way on the same error.
 */
export async function dispatch(set: CommandSet, argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview(set.commands));
    return name === undefined ? 2 : 0;
  }
  const command = set.commands.find((candidate) => candidate.spec.name === name);
  if (!command) {
    io.err(`mlops: unknown command "${name}"; run 'mlops --help' for the list\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mlops ${name}: ${error.message} (see 'mlops ${name} --help')\n`);
      return 2;
    }
    if (set.inputErrors.some((kind) => error instanceof kind)) {
      io.err(`mlops ${name}: error: ${(error as Error).message}\n`);
      return 2;
    }
    io.err(`mlops ${name}: unexpected error: ${(error as Error).message}\n`);
    if (process.env.MLOPS_DEBUG) io.err(`${(error as Error).stack}\n`);
    return 1;
  }
}
