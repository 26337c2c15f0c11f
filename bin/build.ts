import { join } from 'node:path';
import { buildCli, buildTrainerImage, TRAINER_BUNDLE_FILE } from '../lib/bundles';

// `npm run build`, and `prepare` (which `npm ci` runs): the compiled CLI and the trainer image folder.
const started = Date.now();
const cli = buildCli();
const image = buildTrainerImage();
process.stdout.write(
  `built ${cli} and ${join(image, TRAINER_BUNDLE_FILE)} (the trainer image folder) in ${Date.now() - started} ms\n`,
);
