import { DriftConfigError } from '../core/drift/options';
import { EndpointLookupError } from '../core/invoke/endpoint-url';
import { doctorCommand } from './commands/doctor';
import { DriftCommandError, driftCommand } from './commands/drift';
import { featuresCommand } from './commands/features';
import { importCommand } from './commands/import';
import { invokeCommand } from './commands/invoke';
import { localCommand } from './commands/local';
import { predictCommand } from './commands/predict';
import { qualityCommand } from './commands/quality';
import { registerVerb } from './commands/register';
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
import { CORE_INPUT_ERRORS, type CommandSet, dispatch } from './dispatch';
import { type Command, type CommandIo, processIo } from './io';

const COMMANDS: readonly Command[] = [
  trainCommand,
  importCommand,
  predictCommand,
  invokeCommand,
  driftCommand,
  qualityCommand,
  scoreCommand,
  streamCommand,
  featuresCommand,
  localCommand,
  modelsCommand,
  versionsCommand,
  promoteVerb,
  rollbackVerb,
  historyVerb,
  runsVerb,
  retrainVerb,
  registerVerb,
  trainerCommand,
  doctorCommand,
];

const CLI: CommandSet = {
  commands: COMMANDS,
  inputErrors: [...CORE_INPUT_ERRORS, DriftCommandError, DriftConfigError, EndpointLookupError],
};

/** Runs one command line; returns the exit code. Expected errors print one line, never a stack. */
export function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  return dispatch(CLI, argv, io);
}

/** Entry point of bin/mlops.js. */
export function runCli(): void {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
