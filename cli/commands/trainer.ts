import { createS3Client, S3ObjectStore } from '../../adapters/s3-object-store';
import { runTrainer } from '../../containers/trainer/trainer';
import { helpText, parseCommand } from '../args';
import type { Command } from '../io';

export const trainerCommand: Command = {
  spec: {
    name: 'trainer',
    summary: 'run one training job from MLOPS_* environment variables (the AWS Batch container entry)',
    usage: 'mlops trainer',
    flags: {},
    examples: [
      'MLOPS_MODEL=churn MLOPS_RUN_ID=r1 MLOPS_TARGET=churned MLOPS_INPUT_URI=s3://curated/churn/snapshots/x.csv \\',
      '  MLOPS_OUTPUT_URI=s3://artifacts/runs/churn/r1/candidate/ mlops trainer',
    ],
  },

  async run(argv, io) {
    const { help } = parseCommand(this.spec, argv);
    if (help) {
      io.out(helpText(this.spec));
      return 0;
    }
    // On the local platform AWS_ENDPOINT_URL_S3 points the client at the loopback endpoint.
    const client = createS3Client();
    return runTrainer(process.env, {
      store: (bucket) => new S3ObjectStore(client, bucket),
      log: (line) => io.err(`${new Date().toISOString()} ${line}\n`),
    });
  },
};
