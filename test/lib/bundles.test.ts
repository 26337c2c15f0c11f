import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../lib/app';
import { churnOnly } from './helpers';

interface BundledFunction {
  readonly logicalId: string;
  readonly directory: string;
}

let functions: BundledFunction[];
beforeAll(() => {
  // given the app synthesized with esbuild bundling, as `cdk synth` does
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-bundles-'));
  const { app, stack } = buildApp(churnOnly, { nag: false, cloudFormationValidation: false, outdir });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: { Runtime?: string; Code: { S3Key: string } } }>;
  };
  functions = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Runtime === 'nodejs24.x')
    .map(([logicalId, resource]) => ({
      logicalId,
      // The code object is `<asset hash>.zip`; the bundle sits in cdk.out as `asset.<asset hash>/`.
      directory: join(outdir, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`),
    }));
}, 120_000);

test('every platform function is bundled', () => {
  expect(functions).toHaveLength(9);
});

test('every bundle loads in a plain Node process and exports a handler function', () => {
  for (const fn of functions) {
    // when the bundle is required with no node_modules around it, then it exports `handler`
    const kind = execFileSync(
      process.execPath,
      ['-e', 'process.stdout.write(typeof require(process.argv[1]).handler)', join(fn.directory, 'index.js')],
      { cwd: tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps' } },
    );
    expect({ function: fn.logicalId, handler: kind }).toEqual({ function: fn.logicalId, handler: 'function' });
  }
});

test("every bundle leaves out zod's locales, and the inference bundle is at most 1 MB", () => {
  // given zod imported as a namespace everywhere (biome's noRestrictedImports keeps it so)
  for (const fn of functions) {
    const bundle = join(fn.directory, 'index.js');
    // then no bundle carries a translation of zod's messages (German's is one of 40)
    expect({
      function: fn.logicalId,
      germanLocale: readFileSync(bundle, 'utf8').includes('Ungültige Eingabe'),
    }).toEqual({
      function: fn.logicalId,
      germanLocale: false,
    });
  }
  const inference = functions.filter((fn) => /EndpointFunction/.test(fn.logicalId));
  expect(inference).toHaveLength(1);
  expect(statSync(join(inference[0]!.directory, 'index.js')).size).toBeLessThanOrEqual(1_000_000);
});
