import {
  type JoinStores,
  predictionCountsIn,
  readJoinedWindow,
  runJoin,
  toJsonLines,
} from '../../../core/ground-truth/join';
import { actualsBatchKey, feedbackUploadPrefix, predictionBatchKey } from '../../../core/ground-truth/layout';
import { type ActualRecord, newPredictionId, type PredictionRecord } from '../../../core/ground-truth/records';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import type { ObjectStore } from '../../../core/storage/object-store';
import { FAULTS, FaultyStore, InjectedCrash } from '../../support/faulty-store';

const MODEL = 'churn';
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0 + ms);

/** Ids of ours with counted randomness, so that preparing the same inputs twice makes the same ids. */
let idCounter = 0;
function ourId(ms: number): string {
  const randomness = new Uint8Array(10);
  new DataView(randomness.buffer).setUint32(6, ++idCounter);
  return newPredictionId(at(ms), randomness);
}

/** A prediction with an id of ours, made at `ms` after T0. */
function prediction(ms: number, score: number, version = 1, id = ourId(ms)): PredictionRecord {
  return { id, model: MODEL, version, time: at(ms).toISOString(), score, label: score >= 0.5 ? 'yes' : 'no' };
}

/** One batch, named (and filed) when it is written, at `writtenMs`. */
async function writePredictions(store: ObjectStore, writtenMs: number, records: readonly PredictionRecord[]) {
  await store.put(predictionBatchKey(MODEL, ourId(writtenMs)), toJsonLines(records));
}

/** A POST /feedback request's batch, received at `receivedMs`. */
async function postActuals(
  store: ObjectStore,
  receivedMs: number,
  actuals: ReadonlyArray<[string, ActualRecord['label']]>,
) {
  const receivedAt = at(receivedMs).toISOString();
  const records = actuals.map(([id, label]) => ({ id, label, receivedAt }));
  await store.put(actualsBatchKey(MODEL, ourId(receivedMs)), toJsonLines(records));
}

/** Every key and body: what "changes nothing" is checked against. */
async function snapshot(store: MemoryObjectStore): Promise<Record<string, string>> {
  const all: Record<string, string> = {};
  for (const key of store.keys()) all[key] = new TextDecoder().decode((await store.get(key))!.body);
  return all;
}

async function joinedRows(store: ObjectStore, fromMs = -40 * DAY, toMs = 80 * DAY) {
  return readJoinedWindow(store, MODEL, at(fromMs), at(toMs));
}

function newStores(): JoinStores & { monitoring: MemoryObjectStore; raw: MemoryObjectStore } {
  return { monitoring: new MemoryObjectStore('monitoring'), raw: new MemoryObjectStore('raw', () => at(2 * DAY)) };
}

describe('runJoin', () => {
  it('joins posted actuals to their predictions, under the hour the prediction was made', async () => {
    // Given predictions at 00:10 and 01:30, written at 01:40, and their outcomes a day later
    const stores = newStores();
    const early = prediction(10 * MINUTE, 0.8);
    const late = prediction(90 * MINUTE, 0.3, 2);
    await writePredictions(stores.monitoring, 100 * MINUTE, [early, late]);
    await postActuals(stores.monitoring, DAY, [
      [early.id, 'yes'],
      [late.id, 'no'],
    ]);
    // When the join runs after the batches settled
    const result = await runJoin(stores, MODEL, { now: at(DAY + HOUR) });
    // Then both are joined, each in its own prediction hour
    expect(result.counts).toMatchObject({ predictions: 2, actuals: 2, joined: 2, unknown: 0, duplicates: 0 });
    const keys = stores.monitoring.keys().filter((key) => key.startsWith('joined/'));
    expect(keys.map((key) => key.split('/').slice(2, 4).join('/'))).toEqual([
      'dt=2026-04-01/hour=00',
      'dt=2026-04-01/hour=01',
    ]);
    const { rows } = await joinedRows(stores.monitoring);
    expect(rows).toEqual([
      {
        id: early.id,
        version: 1,
        time: early.time,
        score: 0.8,
        label: 'yes',
        actual: 'yes',
        receivedAt: at(DAY).toISOString(),
      },
      {
        id: late.id,
        version: 2,
        time: late.time,
        score: 0.3,
        label: 'no',
        actual: 'no',
        receivedAt: at(DAY).toISOString(),
      },
    ]);
    expect(predictionCountsIn(result.state!, at(0), at(2 * HOUR))).toEqual(
      new Map([
        [1, 1],
        [2, 1],
      ]),
    );
  });

  it("carries a prediction's recorded features into its joined row, and leaves rows without them as they were", async () => {
    // Given one prediction recorded with its features (the model trains on feedback) and one without
    const stores = newStores();
    const withFeatures = { ...prediction(10 * MINUTE, 0.8), features: { tenure: 12, plan: 'pro', coupon: null } };
    const without = prediction(20 * MINUTE, 0.2);
    await writePredictions(stores.monitoring, 30 * MINUTE, [withFeatures, without]);
    await postActuals(stores.monitoring, DAY, [
      [withFeatures.id, 'no'],
      [without.id, 'no'],
    ]);
    // When the join runs
    await runJoin(stores, MODEL, { now: at(DAY + HOUR) });
    // Then the features travel with the first row only
    const { rows } = await joinedRows(stores.monitoring);
    expect(rows.map((row) => row.features)).toEqual([{ tenure: 12, plan: 'pro', coupon: null }, undefined]);
  });

  it('changes nothing when run twice, at the same time or later', async () => {
    // Given a join that ran
    const stores = newStores();
    const p = prediction(0, 0.7);
    await writePredictions(stores.monitoring, MINUTE, [p]);
    await postActuals(stores.monitoring, HOUR, [
      [p.id, 1],
      ['unknown-id', 0],
    ]);
    await stores.raw.put(`${feedbackUploadPrefix(MODEL)}batch.csv`, 'id,label\nother,1\n');
    await runJoin(stores, MODEL, { now: at(2 * HOUR) });
    const before = { monitoring: await snapshot(stores.monitoring), raw: await snapshot(stores.raw) };
    // When it runs again, with nothing new
    const again = await runJoin(stores, MODEL, { now: at(2 * HOUR) });
    const later = await runJoin(stores, MODEL, { now: at(3 * DAY) });
    // Then it writes nothing
    expect([again.changed, later.changed]).toEqual([false, false]);
    expect({ monitoring: await snapshot(stores.monitoring), raw: await snapshot(stores.raw) }).toEqual(before);
  });

  it('leaves a batch named within the settle time for the next run', async () => {
    const stores = newStores();
    const p = prediction(0, 0.7);
    await writePredictions(stores.monitoring, 0, [p]);
    await postActuals(stores.monitoring, 10 * MINUTE, [[p.id, 1]]);
    // The actuals batch is 10 minutes old at the first run (settle: 15 minutes), the predictions 20
    const first = await runJoin(stores, MODEL, { now: at(20 * MINUTE) });
    expect(first.counts).toMatchObject({ predictions: 1, actuals: 0, joined: 0 });
    const second = await runJoin(stores, MODEL, { now: at(HOUR) });
    expect(second.counts).toMatchObject({ predictions: 0, actuals: 1, joined: 1 });
  });

  it('keeps an actual that arrives before its prediction batch and joins it when the batch comes', async () => {
    // Given an outcome for a prediction whose batch is not written yet
    const stores = newStores();
    const p = prediction(0, 0.2, 1, 'order-7');
    await postActuals(stores.monitoring, MINUTE, [['order-7', 'no']]);
    const first = await runJoin(stores, MODEL, { now: at(HOUR) });
    expect(first.counts).toMatchObject({ actuals: 1, joined: 0, unknown: 1 });
    expect(first.state!.pendingCount).toBe(1);
    // When the batch arrives
    await writePredictions(stores.monitoring, 2 * HOUR, [p]);
    const second = await runJoin(stores, MODEL, { now: at(3 * HOUR) });
    // Then the pending actual is joined and the pending set is gone
    expect(second.counts).toMatchObject({ predictions: 1, actuals: 0, joined: 1, unknown: 0 });
    expect(second.state!.pendingKey).toBeNull();
    expect(stores.monitoring.keys().filter((key) => key.includes('/pending/'))).toEqual([]);
    expect((await joinedRows(stores.monitoring)).rows.map((row) => [row.id, row.actual])).toEqual([['order-7', 'no']]);
  });

  it('lets the latest outcome win, within a run and across runs, and counts duplicates', async () => {
    const stores = newStores();
    const p = prediction(0, 0.6);
    await writePredictions(stores.monitoring, MINUTE, [p]);
    // Given two outcomes in one run: the later received wins, whatever order they are read in
    await postActuals(stores.monitoring, 2 * HOUR, [[p.id, 'no']]);
    await postActuals(stores.monitoring, HOUR, [[p.id, 'yes']]);
    const first = await runJoin(stores, MODEL, { now: at(3 * HOUR) });
    expect(first.counts).toMatchObject({ actuals: 2, duplicates: 1, joined: 1 });
    expect((await joinedRows(stores.monitoring)).rows[0].actual).toBe('no');
    // When a correction arrives days later
    await postActuals(stores.monitoring, 3 * DAY, [[p.id, 'yes']]);
    await runJoin(stores, MODEL, { now: at(3 * DAY + HOUR) });
    // Then readers see the correction, the earlier row counted as superseded
    const window = await joinedRows(stores.monitoring);
    expect(window.rows.map((row) => row.actual)).toEqual(['yes']);
    expect(window.superseded).toBe(1);
  });

  it('expires outcomes for predictions older than the window, and unknown ids once the window has passed', async () => {
    const stores = newStores();
    const old = prediction(0, 0.9);
    await writePredictions(stores.monitoring, MINUTE, [old]);
    await runJoin(stores, MODEL, { now: at(HOUR), config: { lookbackDays: 30 } });
    // Given an outcome for a 31-day-old prediction and one for an id nobody knows
    await postActuals(stores.monitoring, 31 * DAY, [
      [old.id, 'yes'],
      ['never-predicted', 'no'],
    ]);
    const result = await runJoin(stores, MODEL, { now: at(31 * DAY + HOUR), config: { lookbackDays: 30 } });
    expect(result.counts).toMatchObject({ joined: 0, expired: 1, unknown: 1 });
    // When the unknown one outlives the window (and something new makes the join run)
    await postActuals(stores.monitoring, 62 * DAY, [['another', 'no']]);
    const later = await runJoin(stores, MODEL, { now: at(62 * DAY + HOUR), config: { lookbackDays: 30 } });
    // Then it is dropped as expired
    expect(later.counts).toMatchObject({ expired: 1, unknown: 1 });
    expect(later.state!.totals.expired).toBe(2);
  });

  it('reads uploaded CSV and JSON Lines files once each, again when rewritten, and reports bad lines', async () => {
    const stores = newStores();
    const a = prediction(0, 0.7, 1, 'order-1');
    const b = prediction(0, 0.2, 1, 'order-2');
    await writePredictions(stores.monitoring, MINUTE, [a, b]);
    const prefix = feedbackUploadPrefix(MODEL);
    await stores.raw.put(`${prefix}day1.csv`, 'id,label,comment\norder-1,yes,"late, but sure"\n,no\n');
    await stores.raw.put(`${prefix}day1.jsonl`, '{"id":"order-2","label":"no"}\n');
    await stores.raw.put(`${prefix}notes.txt`, 'not actuals');
    await stores.raw.put(`${prefix}bad.csv`, 'customer,outcome\nx,1\n');
    const first = await runJoin(stores, MODEL, { now: at(3 * DAY) });
    expect(first.counts).toMatchObject({ actuals: 2, joined: 2, badLines: 1, rejectedUploads: 1 });
    expect(first.problems).toEqual([
      {
        source: 's3://raw/feedback/churn/bad.csv',
        reason: expect.stringContaining('must name the columns id and label'),
      },
      { source: 's3://raw/feedback/churn/day1.csv', line: 3, reason: expect.stringContaining('id must not be empty') },
    ]);
    // The upload's Last-Modified is its receipt time
    expect((await joinedRows(stores.monitoring)).rows[0].receivedAt).toBe(at(2 * DAY).toISOString());
    // When one file is rewritten
    await stores.raw.put(`${prefix}day1.jsonl`, '{"id":"order-2","label":"yes"}\n');
    const second = await runJoin(stores, MODEL, { now: at(3 * DAY) });
    // Then only it is read again
    expect(second.counts).toMatchObject({ actuals: 1, joined: 1 });
  });

  it('looks up an id of ours in the hours it names, not the whole window', async () => {
    // Given 10 days of hourly prediction batches already folded in
    const stores = newStores();
    const predictions: PredictionRecord[] = [];
    for (let hour = 0; hour < 240; hour++) {
      const p = prediction(hour * HOUR + 5 * MINUTE, 0.5);
      predictions.push(p);
      await writePredictions(stores.monitoring, hour * HOUR + 10 * MINUTE, [p]);
    }
    await runJoin(stores, MODEL, { now: at(241 * HOUR) });
    // When outcomes arrive for two predictions of ours
    await postActuals(stores.monitoring, 242 * HOUR, [
      [predictions[3].id, 1],
      [predictions[200].id, 0],
    ]);
    const ours = await runJoin(stores, MODEL, { now: at(243 * HOUR) });
    // Then the join reads only their two batches
    expect(ours.counts).toMatchObject({ joined: 2, lookupBatchesRead: 2 });
    // While a caller's id is looked up in the window, and no further back
    await postActuals(stores.monitoring, 244 * HOUR, [['someone-elses-id', 1]]);
    const theirs = await runJoin(stores, MODEL, { now: at(245 * HOUR), config: { lookbackDays: 5 } });
    // (the window starts at hour 125; the last batch was written at hour 239)
    expect(theirs.counts).toMatchObject({ unknown: 1, lookupBatchesRead: 239 - 125 + 1 });
  });

  it('refuses to commit over a run that committed first', async () => {
    const stores = newStores();
    await writePredictions(stores.monitoring, 0, [prediction(0, 0.5)]);
    const faulty = new FaultyStore(stores.monitoring);
    // Another run commits just before this one writes its state
    faulty.onFirstWrite('ground-truth/churn/state.json', async () => {
      await runJoin(stores, MODEL, { now: at(HOUR) });
    });
    await expect(runJoin({ monitoring: faulty, raw: stores.raw }, MODEL, { now: at(HOUR) })).rejects.toThrow(
      'another join of churn committed',
    );
  });
});

describe('runJoin after a crash or a lost write at any write', () => {
  /** Two runs' worth of inputs: pending actuals, a duplicate, an upload, predictions in several hours. */
  async function prepare(): Promise<JoinStores & { monitoring: MemoryObjectStore; raw: MemoryObjectStore }> {
    idCounter = 0;
    const stores = newStores();
    const ps = [prediction(0, 0.9), prediction(HOUR, 0.1, 2), prediction(2 * HOUR, 0.6, 1, 'order-9')];
    await writePredictions(stores.monitoring, 3 * HOUR, ps);
    await postActuals(stores.monitoring, 4 * HOUR, [
      [ps[0].id, 'yes'],
      ['early-bird', 'no'],
    ]);
    await runJoin(stores, MODEL, { now: at(5 * HOUR) });
    // The second run, the one faults are injected into: a pending actual gets its prediction,
    // a duplicate, a correction and an upload.
    await writePredictions(stores.monitoring, 6 * HOUR, [prediction(5 * HOUR, 0.4, 2, 'early-bird')]);
    await postActuals(stores.monitoring, 7 * HOUR, [
      [ps[1].id, 'no'],
      [ps[0].id, 'no'],
      [ps[1].id, 'yes'],
    ]);
    await stores.raw.put(`${feedbackUploadPrefix(MODEL)}f.csv`, 'id,label\norder-9,yes\n');
    return stores;
  }

  async function logicalState(stores: JoinStores) {
    const { rows } = await joinedRows(stores.monitoring);
    const state = JSON.parse(
      new TextDecoder().decode((await stores.monitoring.get('ground-truth/churn/state.json'))!.body),
    );
    const pending = state.pendingKey
      ? new TextDecoder().decode((await stores.monitoring.get(state.pendingKey))!.body)
      : null;
    return { rows, state, pending };
  }

  const NOW = at(8 * HOUR);

  it('converges on a re-run to what one clean run leaves', async () => {
    const clean = await prepare();
    const cleanResult = await runJoin(clean, MODEL, { now: NOW });
    const expected = await logicalState(clean);
    expect(cleanResult.counts).toMatchObject({ joined: 4, duplicates: 1 });
    expect(expected.rows.map((row) => row.actual)).toEqual(['no', 'yes', 'yes', 'no']);

    // The writes of a clean run: the joined objects, the state, and the replaced pending object's delete.
    const counted = await prepare();
    const probe = new FaultyStore(counted.monitoring);
    await runJoin({ monitoring: probe, raw: counted.raw }, MODEL, { now: NOW });
    const writes = probe.writes;
    expect(probe.writtenKeys.map((key) => key.split('/')[0])).toEqual([
      ...['joined', 'joined', 'joined', 'joined'],
      'ground-truth',
      'ground-truth',
    ]);

    for (let index = 0; index < writes; index++) {
      for (const fault of FAULTS) {
        // Given a run that fails at this write
        const stores = await prepare();
        const faulty = new FaultyStore(stores.monitoring);
        faulty.arm(index, fault);
        const failed = await runJoin({ monitoring: faulty, raw: stores.raw }, MODEL, { now: NOW }).then(
          () => null,
          (error: Error) => error,
        );
        if (failed && !(failed instanceof InjectedCrash) && failed.name !== 'JoinSupersededError') throw failed;
        // When it runs again, now and once more
        await runJoin(stores, MODEL, { now: NOW });
        const settled = await snapshot(stores.monitoring);
        const rerun = await runJoin(stores, MODEL, { now: NOW });
        // Then the result is the clean run's, and a further run changes nothing
        const label = `${fault} at write ${index} (${faulty.writtenKeys[index] ?? '?'})`;
        expect({ label, ...(await logicalState(stores)) }).toEqual({ label, ...expected });
        expect({ label, changed: rerun.changed }).toEqual({ label, changed: false });
        expect(await snapshot(stores.monitoring)).toEqual(settled);
      }
    }
  });
});
