import { readFileSync } from 'node:fs';
import { JSON_SCHEMA_FILE, renderConfigJsonSchema } from '../../../core/config/write-json-schema';

test('the committed mlops.config.schema.json matches the zod schema', () => {
  // given the committed file, when the schema is rendered again, then nothing changed
  // (run `node bin/run-ts.js core/config/write-json-schema.ts` after changing core/config/schema.ts)
  expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(renderConfigJsonSchema());
});

test('the JSON schema requires a name and a target for every model', () => {
  const schema = JSON.parse(renderConfigJsonSchema());
  expect(schema.properties.models.items.required).toEqual(['name', 'target']);
});
