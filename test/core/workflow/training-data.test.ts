import {
  NAME_CHARS_IN_STATE,
  NAMES_IN_STATE,
  STATES_PAYLOAD_LIMIT_BYTES,
  type ValidationResult,
  validationResultSchema,
} from '../../../core/workflow/contract';
import { nameInState, summarizeSchemaChanges } from '../../../core/workflow/training-data';

// The worst text per character for a state: a control character, which JSON escapes to six bytes.
const worst = (chars: number) => '\u0001'.repeat(chars);

describe('summarizeSchemaChanges', () => {
  it('keeps each list count and only its first names', () => {
    // given
    const changes = {
      newColumns: Array.from({ length: 500 }, (_, i) => ({ name: `n${i}`, presentShare: 1 })),
      missingColumns: Array.from({ length: 30 }, (_, i) => `m${i}`),
      typeChanges: [{ name: 'age', from: 'numeric', to: 'categorical' }],
    };
    // when
    const summary = summarizeSchemaChanges(changes);
    // then
    expect(summary).toMatchObject({ newColumnCount: 500, missingColumnCount: 30, typeChangeCount: 1 });
    expect(summary.newColumns).toHaveLength(NAMES_IN_STATE);
    expect(summary.missingColumns.at(-1)).toBe(`m${NAMES_IN_STATE - 1}`);
    expect(summary.typeChanges).toEqual(changes.typeChanges);
  });

  it('cuts a long name to whole code points and marks the cut', () => {
    // given a name of emoji (two UTF-16 units each)
    const name = '😀'.repeat(NAME_CHARS_IN_STATE + 5);
    // when
    const cut = nameInState(name);
    // then
    expect(Array.from(cut)).toHaveLength(NAME_CHARS_IN_STATE);
    expect(cut.endsWith('😀…')).toBe(true);
  });

  it('keeps a worst-case validation result with worst-case execution input under 256 KiB', () => {
    // given 1,024-byte keys and column names of 100,000 characters, all escaped by JSON
    const key = `churn/${worst(1014)}.csv`;
    const names = Array.from({ length: 20_000 }, (_, i) => `${i}${worst(100_000)}`);
    const input = {
      model: 'churn',
      trigger: {
        kind: 'upload',
        objects: Array.from({ length: NAMES_IN_STATE }, () => key),
        objectCount: 1_000,
        manifestKey: `triggers/churn/manifests/churn-upload-${'f'.repeat(24)}.json`,
        reason: 'follow-up run: 1000 upload(s) arrived while the previous run was in progress',
      },
      dataKey: key,
    };
    // when
    const validation: ValidationResult = validationResultSchema.parse({
      runId: 'r'.repeat(80),
      model: 'churn',
      dataKey: key,
      snapshotKey: `churn/snapshots/${'a'.repeat(64)}.csv`,
      snapshotSha256: 'a'.repeat(64),
      trainingInputKey: `churn/manifests/${'b'.repeat(64)}.json`,
      dataSha256: 'b'.repeat(64),
      rowCount: 40,
      columnCount: 20_014,
      schemaChanges: summarizeSchemaChanges({
        newColumns: names.map((name) => ({ name, presentShare: 1 })),
        missingColumns: names,
        typeChanges: names.map((name) => ({ name, from: 'numeric', to: 'categorical' })),
      }),
      championVersion: 1,
      startedAt: new Date(0).toISOString(),
    });
    // then the state after Validate fits with room for the later steps' results
    const state = { ...input, validation };
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(STATES_PAYLOAD_LIMIT_BYTES * 0.9);
  });
});
