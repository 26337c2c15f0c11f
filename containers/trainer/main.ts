import { featuresCommand } from '../../cli/commands/features';
import { scoreCommand } from '../../cli/commands/score';
import { trainerCommand } from '../../cli/commands/trainer';
import { CORE_INPUT_ERRORS, dispatch } from '../../cli/dispatch';
import { processIo } from '../../cli/io';

/**
 * The trainer image's entry: `trainer` (one training job, the default command), `score` (the
 * batch scoring job) and `features materialize` (a shard of the feature backfill), with the same
 * exit codes as the `mlops` commands of those names. esbuild bundles it into one file
 * (lib/bundles.ts) that the image and the local platform both run.
 */
dispatch(
  { commands: [trainerCommand, scoreCommand, featuresCommand], inputErrors: CORE_INPUT_ERRORS },
  process.argv.slice(2),
  processIo,
).then((code) => {
  process.exitCode = code;
});
