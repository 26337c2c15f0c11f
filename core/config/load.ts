import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfig } from './parse';
import type { PlatformConfig } from './schema';

/** Environment variable that points `cdk deploy`, the CLI and the local platform at a config file. */
export const CONFIG_PATH_ENV = 'MLOPS_CONFIG';
export const DEFAULT_CONFIG_FILE = 'mlops.config.json';

/** The config path in effect: the argument, else MLOPS_CONFIG, else ./mlops.config.json. */
export function configPath(path?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  // An empty MLOPS_CONFIG (e.g. an unset CI variable) counts as unset.
  return resolve(cwd, path || env[CONFIG_PATH_ENV] || DEFAULT_CONFIG_FILE);
}

/**
 * Reads, validates and resolves the config file (JSON, or YAML for .yaml/.yml).
 * A model's `training.image` is resolved to an absolute folder and must hold a Dockerfile.
 */
export function loadConfig(path?: string): PlatformConfig {
  const file = configPath(path);
  if (!existsSync(file)) {
    throw new ConfigError(file, [
      {
        path: '',
        message: `no config file here: create ${DEFAULT_CONFIG_FILE} or set ${CONFIG_PATH_ENV} to a config file's path`,
      },
    ]);
  }
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot be parsed: ${(error as Error).message}` }]);
  }
  const config = parseConfig(raw, file);
  const baseDir = dirname(file);
  const models = config.models.map((model, index) => {
    if (model.training.image === undefined) return model;
    const folder = isAbsolute(model.training.image) ? model.training.image : resolve(baseDir, model.training.image);
    if (!existsSync(join(folder, 'Dockerfile'))) {
      throw new ConfigError(file, [
        {
          path: `models[${index}].training.image`,
          message: `${folder} holds no Dockerfile: point image at a folder with a Dockerfile that follows the trainer contract`,
        },
      ]);
    }
    return { ...model, training: { ...model.training, image: folder } };
  });
  return { ...config, models };
}
