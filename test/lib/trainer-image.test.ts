import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../core/config/parse';
import { buildApp } from '../../lib/app';
import { synthesizeTemplates } from '../../lib/synthesize';

const withBatchScoring = parseConfig(
  {
    project: 'image',
    models: [
      {
        name: 'churn',
        target: 'churned',
        positiveLabel: 'yes',
        batchScoring: { schedule: 'cron(0 2 * * ? *)', shards: 2, vcpu: 1, memoryMiB: 2048 },
      },
    ],
  },
  'test: trainer image',
);

interface DockerImageAssets {
  dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
}

let outdir: string;
let images: DockerImageAssets['dockerImages'];
beforeAll(() => {
  // given a model with training and batch scoring on the platform's image, synthesized as `cdk synth` does
  outdir = mkdtempSync(join(tmpdir(), 'mlops-image-'));
  const { app, stack } = buildApp(withBatchScoring, {
    bundle: false,
    nag: false,
    cloudFormationValidation: false,
    outdir,
  });
  app.synth();
  images = (JSON.parse(readFileSync(join(outdir, `${stack.stackName}.assets.json`), 'utf8')) as DockerImageAssets)
    .dockerImages;
}, 120_000);

test('the training and the scoring job share one image asset, built for linux/amd64', () => {
  expect(Object.values(images).map((image) => image.source.platform)).toEqual(['linux/amd64']);
});

test('the image asset holds only the Dockerfile and the trainer bundle', () => {
  const [image] = Object.values(images);
  expect(image.source.dockerFile ?? 'Dockerfile').toBe('Dockerfile');
  expect(readdirSync(join(outdir, image.source.directory)).sort()).toEqual(['Dockerfile', 'index.js', 'index.js.map']);
});

test('the Dockerfile copies the bundle onto a slim Node 24 base and installs nothing', () => {
  const [image] = Object.values(images);
  const instructions = readFileSync(join(outdir, image.source.directory, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^\s/.test(line));
  const keywords = instructions.map((line) => line.split(' ')[0]);
  expect(instructions[0]).toMatch(/^FROM \S+\/node:24-[a-z]+-slim$/);
  expect(keywords).not.toContain('RUN');
  expect(instructions.filter((line) => /^(COPY|ADD) /.test(line))).toEqual(['COPY index.js index.js.map ./']);
  expect(instructions).toContain('ENTRYPOINT ["node", "/app/index.js"]');
  expect(instructions).toContain('CMD ["trainer"]');
});

test('the bundle in the image asset runs the trainer and the scorer with no node_modules around it', () => {
  const [image] = Object.values(images);
  const help = execFileSync(process.execPath, [join(outdir, image.source.directory, 'index.js'), '--help'], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  expect(help).toMatch(/^ {2}trainer /m);
  expect(help).toMatch(/^ {2}score /m);
});

test('the local platform runs the trainer bundle of the image asset staged in cdk.out', () => {
  // given the app synthesized for the local platform
  const localOutdir = mkdtempSync(join(tmpdir(), 'mlops-local-image-'));
  const platform = synthesizeTemplates(withBatchScoring, { outdir: localOutdir });
  // then the model's trainer is the index.js of its image asset
  const [image] = Object.values(images);
  expect(platform.workflows.churn.trainerBundle).toBe(join(localOutdir, image.source.directory, 'index.js'));
});
