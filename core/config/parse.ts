import type * as z from 'zod';
import { DEFAULT_GATE_METRIC, defaultGateFloor } from '../workflow/gate-metrics';
import { type ModelConfig, type ModelInput, modelSchema, type PlatformConfig, platformSchema } from './schema';

/** One problem in a config file: where it is and what to do about it. */
export interface ConfigIssue {
  /** e.g. `models[0].endpoint.auth` */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `Invalid config ${source}:\n${issues.map((issue) => `  - ${issue.path || '(root)'}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Validates a config object (already read from JSON or YAML) and applies every default. */
export function parseConfig(raw: unknown, source: string): PlatformConfig {
  const result = platformSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, result.error.issues.map(toConfigIssue));
  return {
    project: result.data.project,
    logRetentionDays: result.data.logRetentionDays,
    models: result.data.models.map(resolveModel),
    featureViews: result.data.featureViews,
    source,
  };
}

/** The full config of a minimal model entry: what a user gets by writing only name, target (and positiveLabel). */
export function defaultsFor(model: ModelInput): ModelConfig {
  const result = modelSchema.safeParse(model, { reportInput: true });
  if (!result.success)
    throw new ConfigError(`model ${JSON.stringify(model.name)}`, result.error.issues.map(toConfigIssue));
  return resolveModel(result.data);
}

function resolveModel(model: z.output<typeof modelSchema>): ModelConfig {
  const problemType = model.problemType ?? (model.positiveLabel === undefined ? 'regression' : 'binary');
  const metric = model.gate.metric ?? DEFAULT_GATE_METRIC[problemType];
  const floor = model.gate.floor === undefined ? defaultGateFloor(metric) : model.gate.floor;
  return { ...model, problemType, gate: { metric, minGain: model.gate.minGain, floor } };
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}: remove or fix the spelling (mlops.config.schema.json lists every field)`;
  } else if (issue.code === 'invalid_type' && issue.input === undefined) {
    message = `${message} (the field is missing)`;
  } else if ('input' in issue && issue.input !== undefined && issue.code !== 'custom') {
    message = `${message} (received ${preview(issue.input)})`;
  }
  return { path, message };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
