/**
 * Issue 15's join measurement: the point-in-time join of labels against a feature history, against
 * pandas merge_asof (by the key, backward, exact matches allowed) on the same CSV files in the same
 * run (bench/peers/merge_asof_peer.py). Both sides' join time includes parsing the ISO 8601 times
 * and ordering the rows; reading the CSV is timed apart.
 *
 * Data: one feature row per entity per ~9 days on average (10 rows per entity) at random
 * millisecond times over 90 days, written in random order; labels at random times over the same
 * days for random entities, 5% of them unknown. The issue asks 1M labels x 10M feature rows; the
 * default here is 100k x 1M, sizes are options:
 * `NODE_OPTIONS=--max-old-space-size=12000 node bin/run-ts.js bench/feature-views.ts 1000000 10000000`
 * (the larger heap because the 458 MB of CSV text and its 40M cells exceed node's default limit).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTableBytes } from '../core/data/read';
import { getColumn } from '../core/data/table';
import { createRandom, type Random } from '../core/datasets/random';
import { pointInTimeJoin } from '../core/feature-views/point-in-time-join';

const PYTHON = '/usr/bin/python3';
const START = Date.parse('2026-01-01T00:00:00.000Z');
const SPAN = 90 * 86_400_000;
const ROWS_PER_ENTITY = 10;

export interface FeatureViewsBenchResult {
  readonly labels: number;
  readonly featureRows: number;
  readonly readSeconds: number;
  readonly joinSeconds: number;
  readonly matched: number;
  readonly peakRssMb: number;
  readonly peer?: Record<string, number>;
  readonly joinRatio?: number;
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

function writeCsv(path: string, header: string, rows: number, line: (random: Random) => string, seed: number): void {
  const random = createRandom(seed);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${header}\n`);
    const chunk: string[] = [];
    for (let row = 0; row < rows; row++) {
      chunk.push(line(random));
      if (chunk.length === 10_000 || row === rows - 1) {
        writeSync(fd, `${chunk.join('\n')}\n`);
        chunk.length = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const isoAt = (random: Random) => new Date(START + Math.floor(random.next() * SPAN)).toISOString();

export async function runFeatureViewsBench(
  options: { labels?: number; featureRows?: number; log?: (line: string) => void } = {},
): Promise<FeatureViewsBenchResult> {
  const labelCount = options.labels ?? 100_000;
  const featureRows = options.featureRows ?? 1_000_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const entities = Math.max(1, Math.floor(featureRows / ROWS_PER_ENTITY));
  const dir = mkdtempSync(join(tmpdir(), 'mlops-pit-join-'));
  try {
    const labelsPath = join(dir, 'labels.csv');
    const featuresPath = join(dir, 'features.csv');
    writeCsv(
      featuresPath,
      'customer_id,event_time,spend,visits',
      featureRows,
      (random) =>
        `c${random.int(0, entities - 1)},${isoAt(random)},${(random.next() * 500).toFixed(2)},${random.int(0, 30)}`,
      151,
    );
    writeCsv(
      labelsPath,
      'customer_id,label_time,churned',
      labelCount,
      (random) => `c${random.int(0, Math.floor(entities * 1.05))},${isoAt(random)},${random.int(0, 1)}`,
      152,
    );
    const sizeMb = (statSync(featuresPath).size + statSync(labelsPath).size) / 1e6;

    const started = performance.now();
    const labels = await readTableBytes(readFileSync(labelsPath), 'labels.csv', { numbers: true });
    const features = await readTableBytes(readFileSync(featuresPath), 'features.csv', { numbers: true });
    const read = performance.now();
    const joined = pointInTimeJoin(labels, features, { entityKey: 'customer_id', timestampColumn: 'label_time' });
    const done = performance.now();
    const visits = getColumn(joined.table, 'visits');
    let visitsSum = 0;
    for (const value of visits) visitsSum += (value as number | null) ?? 0;
    const result: FeatureViewsBenchResult = {
      labels: labelCount,
      featureRows,
      readSeconds: seconds(read - started),
      joinSeconds: seconds(done - read),
      matched: labelCount - joined.unmatchedRows,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    log(
      `point-in-time join: ${labelCount} labels x ${featureRows} feature rows (${entities} entities, ${sizeMb.toFixed(0)} MB CSV): ` +
        `read ${result.readSeconds} s, join ${result.joinSeconds} s, ${result.matched} matched (visits sum ${visitsSum}), ` +
        `peak RSS ${result.peakRssMb} MB`,
    );

    const peer = JSON.parse(
      execFileSync(PYTHON, [join(__dirname, 'peers', 'merge_asof_peer.py'), labelsPath, featuresPath], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    ) as Record<string, number>;
    const joinRatio = Number((result.joinSeconds / peer.joinSeconds).toFixed(2));
    const agree = peer.matched === result.matched && peer.visitsSum === visitsSum;
    log(
      `pandas merge_asof: read ${peer.readSeconds} s, to_datetime + sort + merge_asof ${peer.joinSeconds} s, ` +
        `${peer.matched} matched (visits sum ${peer.visitsSum}), peak RSS ${peer.peakRssMb} MB; ` +
        `ours/peer join time ${joinRatio}; results ${agree ? 'agree' : 'DIFFER'}`,
    );
    if (!agree) throw new Error('the point-in-time join and merge_asof disagree on the generated data');
    return { ...result, peer, joinRatio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === __filename) {
  void runFeatureViewsBench({
    labels: Number(process.argv[2] ?? 100_000),
    featureRows: Number(process.argv[3] ?? 1_000_000),
  });
}
