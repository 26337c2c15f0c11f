import { ArtifactError } from '../core/artifact/format';
import { ConfigError } from '../core/config/parse';
import { DataError } from '../core/data/table';
import { DriftConfigError } from '../core/drift/detect';
import { RegistryError } from '../core/registry/registry';
import { ScoringTargetError } from '../core/score/out-paths';
import { InputError } from '../core/score/scorer';
import { UsageError } from './args';
import { doctorCommand } from './commands/doctor';
import { DriftCommandError, driftCommand } from './commands/drift';
import { localCommand } from './commands/local';
import { predictCommand } from './commands/predict';
import {
  historyVerb,
  modelsCommand,
  promoteVerb,
  retrainVerb,
  rollbackVerb,
  runsVerb,
  versionsCommand,
} from './commands/registry-verbs';
import { scoreCommand } from './commands/score';
import { streamCommand } from './commands/stream';
import { trainCommand } from './commands/train';
import { trainerCommand } from './commands/trainer';
import { type Command, type CommandIo, processIo } from './io';

const COMMANDS: readonly Command[] = [
  trainCommand,
  predictCommand,
  driftCommand,
  scoreCommand,
  streamCommand,
  localCommand,
  modelsCommand,
  versionsCommand,
  promoteVerb,
  rollbackVerb,
  historyVerb,
  runsVerb,
  retrainVerb,
  trainerCommand,
  doctorCommand,
];

/** Errors that describe bad input; printed as one line with exit code 2. */
const INPUT_ERRORS = [
  DataError,
  ArtifactError,
  InputError,
  ConfigError,
  DriftCommandError,
  DriftConfigError,
  RegistryError,
  ScoringTargetError,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.spec.name.length)) + 2;
  return [
    'mlops: train, serve and monitor tabular models; deploy with the AWS CDK or run locally',
    '',
    'usage: mlops <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((command) => `  ${command.spec.name.padEnd(width)} ${command.spec.summary}`),
    '',
    "run 'mlops <command> --help' for a command's options",
    '',
  ].join('\n');
}

/** Runs one command line; returns the exit code. Expected errors print one line, never a stack. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.spec.name === name);
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
    if (INPUT_ERRORS.some((kind) => error instanceof kind)) {
      io.err(`mlops ${name}: error: ${(error as Error).message}\n`);
      return 2;
    }
    io.err(`mlops ${name}: unexpected error: ${(error as Error).message}\n`);
    if (process.env.MLOPS_DEBUG) io.err(`${(error as Error).stack}\n`);
    return 1;
  }
}

/** Entry point of bin/mlops.js. */
export function runCli(): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
