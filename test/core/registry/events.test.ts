import {
  ALIAS_MOVED,
  aliasMovedEventSchema,
  MemoryEventSink,
  parseAliasMovedEntry,
  parseAliasMovedEvent,
  productionMovePattern,
  REGISTRY_EVENT_SOURCE,
  type RegistryEvent,
} from '../../../core/registry/events';
import { ModelRegistry } from '../../../core/registry/registry';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { lineageFor, steppingClock } from './fixtures';

/** The registry's alias-moved event after a promotion, as published. */
async function publishedMove(): Promise<RegistryEvent> {
  const events = new MemoryEventSink();
  const registry = new ModelRegistry({ store: new MemoryObjectStore('artifacts'), events, clock: steppingClock() });
  await registry.register({ model: 'churn', artifact: '{}', lineage: lineageFor('run-1') });
  await registry.promote('churn', 1, 'production', { runId: 'run-1' });
  return events.ofType(ALIAS_MOVED).at(-1)!;
}

/** What EventBridge hands a target for an entry the EventBridge sink sent. */
function delivered(event: RegistryEvent) {
  return {
    version: '0',
    id: 'e-1',
    source: event.source,
    'detail-type': event.detailType,
    account: '123456789012',
    time: '2026-11-29T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: JSON.parse(JSON.stringify(event.detail)),
  };
}

describe('the alias-moved event contract', () => {
  it('is what the registry publishes on a promotion, once delivered by EventBridge', async () => {
    const event = await publishedMove();
    const parsed = aliasMovedEventSchema.parse(delivered(event));
    expect(parsed.detail).toMatchObject({ model: 'churn', alias: 'production', version: 1, sequence: 1 });
  });

  it('reads the same alias record from a PutEvents entry as from a delivered event', async () => {
    const event = await publishedMove();
    const entry = { Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail) };
    expect(parseAliasMovedEntry(entry)).toEqual(parseAliasMovedEvent(delivered(event)));
  });

  it('leaves other registry events alone', () => {
    const registered = { source: REGISTRY_EVENT_SOURCE, 'detail-type': 'ModelVersionRegistered', detail: {} };
    expect(parseAliasMovedEvent(registered)).toBeNull();
    expect(parseAliasMovedEntry({ Source: 'aws.s3', DetailType: ALIAS_MOVED, Detail: '{}' })).toBeNull();
  });

  it('matches production moves of one model in the rule pattern, with the schema literals', () => {
    expect(productionMovePattern('churn')).toEqual({
      source: [aliasMovedEventSchema.shape.source.value],
      detailType: [aliasMovedEventSchema.shape['detail-type'].value],
      detail: { model: ['churn'], alias: ['production'] },
    });
  });
});
