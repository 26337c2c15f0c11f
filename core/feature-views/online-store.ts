/**
 * The online store's contract (issue 15): the newest feature values of each entity of a view.
 * The DynamoDB adapter (on AWS, and on dynalite locally) and the in-memory store below both keep
 * it; serving and materialization depend only on this interface.
 */

/** A feature value as stored: numbers, text, or missing. */
export type OnlineValue = number | string | null;

/** One entity's newest row of a view. */
export interface OnlineFeatureRow {
  /** The entity key as text (see entityKeyText). */
  readonly entityKey: string;
  /** When the row was true, microseconds since the epoch (as parseTimestamp returns). */
  readonly eventTimeMicros: number;
  /** The view version (its column signature) the row was written under. */
  readonly viewVersion: string;
  readonly values: Readonly<Record<string, OnlineValue>>;
}

export interface OnlineWriteSummary {
  /** Rows written (newer than what the store held, or new). */
  readonly written: number;
  /** Rows skipped because the store already held a row at the same or a later event time. */
  readonly skipped: number;
}

export interface OnlineFeatureStore {
  /**
   * The stored rows of these entities, holding only `columns` of their values (a projection).
   * Entities the store does not hold are absent from the map. Keys may repeat; each is read once.
   */
  read(view: string, entityKeys: readonly string[], columns: readonly string[]): Promise<Map<string, OnlineFeatureRow>>;
  /**
   * Writes each row unless the store holds that entity at the same or a later event time, so
   * writing the same rows twice, or an older file after a newer one, changes nothing.
   */
  write(view: string, rows: readonly OnlineFeatureRow[]): Promise<OnlineWriteSummary>;
}

/** OnlineFeatureStore in memory, for unit tests of serving and materialization logic. */
export class MemoryOnlineFeatureStore implements OnlineFeatureStore {
  private readonly items = new Map<string, OnlineFeatureRow>();
  /** Calls to read, like DynamoDB requests counted by a test. */
  reads = 0;

  async read(
    view: string,
    entityKeys: readonly string[],
    columns: readonly string[],
  ): Promise<Map<string, OnlineFeatureRow>> {
    await Promise.resolve();
    this.reads++;
    const found = new Map<string, OnlineFeatureRow>();
    for (const entityKey of entityKeys) {
      const row = this.items.get(`${view}#${entityKey}`);
      if (!row) continue;
      const values: Record<string, OnlineValue> = {};
      for (const column of columns) if (column in row.values) values[column] = row.values[column] ?? null;
      found.set(entityKey, { ...row, values });
    }
    return found;
  }

  async write(view: string, rows: readonly OnlineFeatureRow[]): Promise<OnlineWriteSummary> {
    await Promise.resolve();
    let written = 0;
    let skipped = 0;
    for (const row of rows) {
      const key = `${view}#${row.entityKey}`;
      const stored = this.items.get(key);
      if (stored && stored.eventTimeMicros >= row.eventTimeMicros) skipped++;
      else {
        this.items.set(key, row);
        written++;
      }
    }
    return { written, skipped };
  }
}
