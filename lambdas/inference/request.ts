import type { Cell } from '../../core/data/table';
import { clipText } from '../../core/text/clip';
import { badRequest } from '../shared/http';

/** One row to score: feature name -> scalar. */
export type Instance = Readonly<Record<string, Cell>>;

/**
 * Request-level checks of `POST /predict` (the scorer's `checkRecords` does the per-feature
 * ones against the model's schema): the envelope is `{"instances": [...]}` with 1 to
 * `maxInstances` rows, each row a flat object of strings, numbers, booleans or nulls.
 * Every failure is a 400 naming the field.
 */
export function parsePredictRequest(body: unknown, maxInstances: number): Instance[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`the body must be a JSON object {"instances": [...]}, got ${kindOf(body)}`);
  }
  for (const key of Object.keys(body)) {
    if (key !== 'instances') {
      throw badRequest(`unknown field "${clipText(key)}"; the body holds only "instances"`, clipText(key));
    }
  }
  const instances = (body as { instances?: unknown }).instances;
  if (instances === undefined) throw badRequest('instances is required: a list of rows to score', 'instances');
  if (!Array.isArray(instances)) throw badRequest(`instances must be a list, got ${kindOf(instances)}`, 'instances');
  if (instances.length === 0) throw badRequest('instances is empty; send 1 or more rows', 'instances');
  if (instances.length > maxInstances) {
    throw badRequest(
      `instances holds ${instances.length} rows; at most ${maxInstances} per request, split the batch`,
      'instances',
    );
  }
  instances.forEach((instance, index) => {
    checkInstance(instance, index);
  });
  return instances as Instance[];
}

function checkInstance(instance: unknown, index: number): void {
  const field = `instances[${index}]`;
  if (typeof instance !== 'object' || instance === null || Array.isArray(instance)) {
    throw badRequest(`${field} must be an object of feature values, got ${kindOf(instance)}`, field);
  }
  for (const [name, value] of Object.entries(instance)) {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) continue;
      throw badRequest(`${field}.${clipText(name)} must be a finite number`, `${field}.${clipText(name)}`);
    }
    throw badRequest(
      `${field}.${clipText(name)} must be a string, number, boolean or null, got ${kindOf(value)}`,
      `${field}.${clipText(name)}`,
    );
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
