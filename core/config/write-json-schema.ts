import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { platformSchema } from './schema';

/** The JSON Schema editors use to complete and check mlops.config.json (describes the input, defaults optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(platformSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/serverless-mlops/mlops.config.schema.json',
    title: 'mlops.config',
  };
}

export const JSON_SCHEMA_FILE = resolve(__dirname, '../../mlops.config.schema.json');

export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

// Run as a script (`node bin/run-ts.js core/config/write-json-schema.ts`), not when imported.
if (process.argv[1] === __filename) {
  writeFileSync(JSON_SCHEMA_FILE, renderConfigJsonSchema());
  console.log(`wrote ${JSON_SCHEMA_FILE}`);
}
