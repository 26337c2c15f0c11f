import type { ObjectSummary } from '../../../core/storage/object-store';
import {
  isTrainingManifestKey,
  parseTrainingManifest,
  selectWindowUploads,
  serializeTrainingManifest,
  TRAINING_MANIFEST_FORMAT,
  type TrainingManifest,
} from '../../../core/workflow/training-manifest';

const DAY = 86_400_000;
const now = new Date('2026-12-07T12:00:00Z');

function upload(key: string, daysAgo: number): ObjectSummary {
  return { key, size: 10, lastModified: new Date(now.getTime() - daysAgo * DAY), etag: `"${key}"` };
}

function manifest(overrides: Partial<TrainingManifest> = {}): TrainingManifest {
  return {
    format: TRAINING_MANIFEST_FORMAT,
    model: 'churn',
    target: 'churned',
    source: 'window',
    primary: {
      source: 'churn/new.csv',
      snapshotKey: `churn/snapshots/${'a'.repeat(64)}.csv`,
      sha256: 'a'.repeat(64),
      rows: 600,
    },
    uploads: [
      {
        source: 'churn/old.csv',
        snapshotKey: `churn/snapshots/${'b'.repeat(64)}.csv`,
        sha256: 'b'.repeat(64),
        rows: 300,
      },
    ],
    feedback: null,
    ...overrides,
  };
}

describe('selectWindowUploads', () => {
  it('takes every usable upload of the window but the primary, oldest first', () => {
    // given
    const usable = [
      upload('churn/c.csv', 1),
      upload('churn/new.csv', 0),
      upload('churn/a.csv', 29),
      upload('churn/old.csv', 31),
    ];
    // when
    const selection = selectWindowUploads(usable, { primaryKey: 'churn/new.csv', now, windowDays: 30, maxFiles: 100 });
    // then
    expect(selection.uploads.map((item) => item.key)).toEqual(['churn/a.csv', 'churn/c.csv']);
    expect(selection.leftOut).toEqual([]);
  });

  it('keeps the newest uploads when the window holds more than maxFiles, counting the primary', () => {
    // given
    const usable = [
      upload('churn/1.csv', 4),
      upload('churn/2.csv', 3),
      upload('churn/3.csv', 2),
      upload('churn/new.csv', 0),
    ];
    // when
    const selection = selectWindowUploads(usable, { primaryKey: 'churn/new.csv', now, windowDays: 30, maxFiles: 3 });
    // then
    expect(selection.uploads.map((item) => item.key)).toEqual(['churn/2.csv', 'churn/3.csv']);
    expect(selection.leftOut.map((item) => item.key)).toEqual(['churn/1.csv']);
  });

  it('orders uploads of the same time by key', () => {
    // given
    const usable = [upload('churn/b.csv', 1), upload('churn/a.csv', 1)];
    // when
    const selection = selectWindowUploads(usable, { primaryKey: 'churn/new.csv', now, windowDays: 2, maxFiles: 10 });
    // then
    expect(selection.uploads.map((item) => item.key)).toEqual(['churn/a.csv', 'churn/b.csv']);
  });
});

describe('training manifest', () => {
  it('has the same bytes and hash for the same inputs, and another hash when any input hash changes', () => {
    // given
    const a = serializeTrainingManifest(manifest());
    const b = serializeTrainingManifest(manifest());
    const changed = manifest();
    const other = serializeTrainingManifest({
      ...changed,
      uploads: [{ ...changed.uploads[0], sha256: 'c'.repeat(64) }],
    });
    // then
    expect(b.bytes).toEqual(a.bytes);
    expect(b.sha256).toBe(a.sha256);
    expect(other.sha256).not.toBe(a.sha256);
  });

  it('reads back what it wrote', () => {
    // given
    const written = manifest({
      feedback: { source: 'joined/churn/', snapshotKey: 'churn/snapshots/f.csv', sha256: 'f'.repeat(64), rows: 7 },
    });
    // when
    const read = parseTrainingManifest(new TextDecoder().decode(serializeTrainingManifest(written).bytes), 'm.json');
    // then
    expect(read).toEqual(written);
  });

  it('names the bad field of a malformed manifest', () => {
    // given
    const text = JSON.stringify({ ...manifest(), primary: { ...manifest().primary, sha256: 'not-a-hash' } });
    // then
    expect(() => parseTrainingManifest(text, 's3://curated/m.json')).toThrow(
      's3://curated/m.json: primary.sha256: a lowercase hex SHA-256',
    );
    expect(() => parseTrainingManifest('{', 's3://curated/m.json')).toThrow('s3://curated/m.json is not JSON');
  });

  it('is told apart from a data file by its key', () => {
    expect(isTrainingManifestKey(`churn/manifests/${'a'.repeat(64)}.json`)).toBe(true);
    expect(isTrainingManifestKey(`churn/snapshots/${'a'.repeat(64)}.csv`)).toBe(false);
    expect(isTrainingManifestKey(`churn/snapshots/${'a'.repeat(64)}.parquet`)).toBe(false);
  });
});
