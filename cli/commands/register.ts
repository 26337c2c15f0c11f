import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ArtifactError, parseArtifact } from '../../core/artifact/format';
import { importExecutionInput, TRAINER_OUTPUTS } from '../../core/workflow/contract';
import { importedOrigin } from '../../core/workflow/imported-candidate';
import { importKey } from '../../core/workflow/layout';
import { newRunId } from '../../core/workflow/run-ids';
import { parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveTarget, stateMachineArnOf } from '../deployment-target';
import type { Command } from '../io';

/** What `mlops register --json` prints; fields are only ever added. */
export interface RegisterStarted {
  readonly model: string;
  readonly runId: string;
  readonly executionArn: string | null;
  /** s3://<artifacts bucket>/imports/<model>/<runId>/model.json */
  readonly artifactUri: string;
  readonly source: string;
}

/** The artifact file: `model.json` inside a directory (the `mlops train --out` and `mlops import --out` layout), or the file itself. */
export function artifactFileOf(path: string): string {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new UsageError(`--artifact ${path} does not exist; give the --out directory of mlops train or mlops import`);
  }
  return stats.isDirectory() ? join(path, TRAINER_OUTPUTS.artifact) : path;
}

/** Reads and parses the artifact before anything is uploaded: a bad file fails here, with one line. */
export function readArtifactFile(file: string): { bytes: Uint8Array; source: string; name?: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ArtifactError(`${file} cannot be read: ${(error as Error).message}`);
  }
  const artifact = parseArtifact(new TextDecoder().decode(bytes), file);
  return { bytes, source: importedOrigin(artifact).source, name: artifact.imported?.name };
}

export const registerVerb: Command = {
  spec: {
    name: 'register',
    summary: 'register an externally produced artifact through the retraining gate (prints the run id)',
    usage: 'mlops register [<model>] --artifact <dir|model.json> [--json]',
    positionals: ['model'],
    flags: {
      artifact: {
        type: 'string',
        description: 'the artifact: a directory written by mlops import or mlops train (its model.json), or the file',
        required: true,
        valueName: 'path',
      },
      json: { type: 'boolean', description: 'print JSON' },
    },
    examples: [
      'mlops register churn --artifact imported/',
      'mlops register --artifact imported/        # the model mlops import --name recorded',
      '# uploads to imports/<model>/<run id>/ in the artifacts zone and starts the workflow, which skips training;',
      "# the gate scores it against production on the held-out rows of the model's newest data (mlops runs <model>).",
      '# acts on the deployed app when MLOPS_ARTIFACTS_BUCKET and MLOPS_STATE_MACHINES are set, else on the local platform',
    ],
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const file = artifactFileOf(stringFlag(flags, 'artifact')!);
    const { bytes, source, name } = readArtifactFile(file);
    // `mlops import --name` records the model the artifact is meant for.
    const model = positionals[0] ?? name;
    if (!model) throw new UsageError('mlops register needs a model name (or an artifact imported with --name)');
    if (name && name !== model) {
      throw new UsageError(
        `${file} was imported for model ${name}, not ${model}; give ${name}, or import it again with --name ${model}`,
      );
    }

    const target = resolveTarget();
    const arn = stateMachineArnOf(target, model);
    // The run id names the upload too, so the run record, the import and the execution share it.
    const runId = newRunId(new Date());
    const key = importKey(model, runId);
    await target.artifacts.put(key, bytes, { ifNoneMatch: '*', contentType: 'application/json' });
    const input = importExecutionInput(model, key, `mlops register --artifact ${basename(file)}`);
    const started = await target.stepFunctions.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: runId, input: JSON.stringify(input) }),
    );
    const result: RegisterStarted = {
      model,
      runId,
      executionArn: started.executionArn ?? null,
      artifactUri: `s3://${target.artifacts.bucket}/${key}`,
      source,
    };
    if (flags.json) {
      io.out(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.err(`uploaded ${file} (${source}) to ${result.artifactUri}; follow the run with: mlops runs ${model}\n`);
      io.out(`${runId}\n`);
    }
    return 0;
  },
};
