import { scoreCommand } from '../../cli/commands/score';
import { trainerCommand } from '../../cli/commands/trainer';
import { CORE_INPUT_ERRORS, dispatch } from '../../cli/dispatch';
import { processIo } from '../../cli/io';

/**
 * The trainer image's entry: `trainer` (one training job, the default command) and `score` (the
 * batch scoring job), with the same exit codes as `mlops trainer` / `mlops score`. esbuild bundles
 * it into one file (lib/bundles.ts) that the image and the local platform both run.
 */
dispatch(
  { commands: [trainerCommand, scoreCommand], inputErrors: CORE_INPUT_ERRORS },
  process.argv.slice(2),
  processIo,
).then((code) => {
  process.exitCode = code;
});
