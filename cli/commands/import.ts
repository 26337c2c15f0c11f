import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { serializeArtifact } from '../../core/artifact/format';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { buildImportedArtifact, parseExpectedPredictions } from '../../core/import/artifact';
import { parseCategoriesFile } from '../../core/import/categories';
import type { ImportedModel } from '../../core/import/imported-model';
import { parseLightgbmModel } from '../../core/import/lightgbm';
import { parseXgboostModel } from '../../core/import/xgboost';
import { parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';

const PARSERS: Record<string, (bytes: Uint8Array, source: string) => ImportedModel> = {
  xgboost: parseXgboostModel,
  lightgbm: parseLightgbmModel,
};

async function readInput(flag: string, path: string): Promise<Uint8Array> {
  return readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      error.code === 'ENOENT'
        ? `--${flag}: file not found: ${path}`
        : `--${flag}: cannot read ${path}: ${error.message}`,
    );
  });
}

export const importCommand: Command = {
  spec: {
    name: 'import',
    summary: 'convert an XGBoost or LightGBM model file into a model artifact',
    usage:
      'mlops import --framework xgboost|lightgbm --model <file> --out <dir> [--data <sample>] [--target <column>] [--expected <file>] [--categories <file.json>] [--name <model>] [--json]',
    flags: {
      framework: {
        type: 'string',
        description: 'xgboost (.json or .ubj) or lightgbm (.txt)',
        required: true,
        valueName: 'name',
      },
      model: { type: 'string', description: "the framework's saved model file", required: true, valueName: 'file' },
      out: {
        type: 'string',
        description: 'directory for model.json (as mlops train writes it)',
        required: true,
        valueName: 'dir',
      },
      data: {
        type: 'string',
        description:
          'a sample, CSV or Parquet: names unnamed features, builds the schema and drift profile, and holds the parity rows',
        valueName: 'file',
      },
      target: {
        type: 'string',
        description: 'the target column of --data, if it has one (metrics)',
        valueName: 'column',
      },
      expected: {
        type: 'string',
        description: "the framework's own predictions on the --data rows, one per line, to measure parity",
        valueName: 'file',
      },
      categories: {
        type: 'string',
        description:
          "categorical features' labels in code order, {\"column\": [labels]}, written from the training frame's X[c].cat.categories; without it, labels in --data are ordered as astype('category') orders them",
        valueName: 'file.json',
      },
      name: {
        type: 'string',
        description: 'a name for the model, recorded for a later registration',
        valueName: 'model',
      },
      json: { type: 'boolean', description: 'print a one-line JSON summary instead of the artifact path' },
    },
    examples: [
      'mlops import --framework xgboost --model model.json --data sample.csv --expected preds.txt --out imported/',
      'mlops import --framework lightgbm --model model.txt --out imported/',
      'mlops import --framework xgboost --model model.json --data sample.csv --categories categories.json --expected preds.txt --out imported/',
    ],
  },

  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    const framework = stringFlag(flags, 'framework')!;
    const parse = Object.hasOwn(PARSERS, framework) ? PARSERS[framework] : undefined;
    if (!parse)
      throw new UsageError(`--framework must be one of ${Object.keys(PARSERS).join(', ')}, got "${framework}"`);
    const modelPath = stringFlag(flags, 'model')!;
    const outDir = stringFlag(flags, 'out')!;
    const dataPath = stringFlag(flags, 'data');
    const expectedPath = stringFlag(flags, 'expected');
    const categoriesPath = stringFlag(flags, 'categories');

    // Everything is read, converted and checked before anything is written.
    const modelBytes = await readInput('model', modelPath);
    const imported = parse(modelBytes, basename(modelPath));
    let sample: { table: Awaited<ReturnType<typeof readTableBytes>>; sha256: string; source: string } | undefined;
    if (dataPath !== undefined) {
      const bytes = await readInput('data', dataPath);
      sample = {
        table: await readTableBytes(bytes, basename(dataPath), { numbers: true }),
        sha256: sha256Hex(bytes),
        source: basename(dataPath),
      };
    }
    const expected =
      expectedPath === undefined
        ? undefined
        : {
            values: parseExpectedPredictions(
              new TextDecoder().decode(await readInput('expected', expectedPath)),
              basename(expectedPath),
            ),
            source: basename(expectedPath),
          };
    const categories =
      categoriesPath === undefined
        ? undefined
        : {
            labels: parseCategoriesFile(
              new TextDecoder().decode(await readInput('categories', categoriesPath)),
              basename(categoriesPath),
            ),
            source: basename(categoriesPath),
          };
    const { artifact, parity } = buildImportedArtifact({
      imported,
      modelFile: basename(modelPath),
      modelSha256: sha256Hex(modelBytes),
      sample,
      target: stringFlag(flags, 'target'),
      expected,
      categories,
      name: stringFlag(flags, 'name'),
    });

    const artifactPath = join(outDir, 'model.json');
    await mkdir(outDir, { recursive: true });
    // Written beside and renamed, so a reader never sees half an artifact.
    await writeFile(`${artifactPath}.partial`, serializeArtifact(artifact));
    await rename(`${artifactPath}.partial`, artifactPath);

    const model = imported.model;
    if (flags.json === true) {
      const summary = {
        artifact: artifactPath,
        framework: imported.framework,
        task: model.task,
        objective: model.objective,
        trees: model.trees.length,
        features: artifact.schema.columns.filter((column) => column.role === 'feature').map((column) => column.name),
        featureNamesFrom: artifact.imported?.featureNamesFrom,
        parity: { status: parity.status, rows: parity.rows, maxAbsDifference: parity.maxAbsDifference },
      };
      io.out(`${JSON.stringify(summary)}\n`);
    } else {
      for (const note of artifact.notes) io.err(`note: ${note}\n`);
      io.err(
        `imported ${imported.framework} ${model.objective}: ${model.trees.length} trees, ${model.featureNames.length} features\n`,
      );
      io.err(
        parity.status === 'measured'
          ? `parity: largest difference ${parity.maxAbsDifference} over ${parity.rows} rows (${parity.expectedFrom})\n`
          : `parity: unmeasured (${parity.expectedFrom})\n`,
      );
      io.out(`${artifactPath}\n`);
    }
    return 0;
  },
};
