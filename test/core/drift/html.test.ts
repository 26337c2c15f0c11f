import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDriftCommand } from '../../../cli/commands/drift';
import { type Cell, type DataTable, tableFromRecords } from '../../../core/data/table';
import { createRandom } from '../../../core/datasets/random';
import { analyzeDrift } from '../../../core/drift/detect';
import { escapeHtml, notEnoughDataHtml, renderDriftReportHtml } from '../../../core/drift/html';
import { driftReportSchema } from '../../../core/drift/report';
import { buildProfile } from '../../../core/profile/profile';

const NOW = new Date('2026-11-29T12:00:00Z');
const EVIL = '<script>alert(1)</script>';

function table(columns: Record<string, Cell[]>): DataTable {
  const names = Object.keys(columns);
  return { columnNames: names, columns: names.map((name) => columns[name]), rowCount: columns[names[0]].length };
}

function sample(seed: number, n: number, shift: number): DataTable {
  const random = createRandom(seed);
  return table({
    [EVIL]: Array.from({ length: n }, () => random.normal() + shift),
    plan: Array.from({ length: n }, () => random.pick(['free', 'pro', shift > 0 ? `<b>${EVIL}</b>` : 'team'])),
  });
}

describe('renderDriftReportHtml', () => {
  it('escapes column names and categories so a column named <script> cannot run', () => {
    // Given a column and a category holding markup
    const reference = sample(1, 300, 0);
    const current = sample(2, 300, 1);
    const { report, referenceProfile, currentProfile } = analyzeDrift(reference, current, { now: NOW });
    // When rendered
    const html = renderDriftReportHtml(report, { reference: referenceProfile, current: currentProfile });
    // Then the markup appears only escaped, and the page has no script at all
    expect(html).not.toContain(EVIL);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).not.toMatch(/<script/i);
  });

  it('states the summary line and sorts drifted columns first', () => {
    const { report } = analyzeDrift(sample(1, 300, 0), sample(2, 300, 1), { now: NOW });
    const html = renderDriftReportHtml(report, { reference: sample(1, 300, 0), current: sample(2, 300, 1) });
    expect(html).toContain(`Drift in ${report.driftedColumns} of ${report.columnCount} columns`);
    expect(html.indexOf('class="drifted"')).toBeLessThan(html.indexOf('<tr class="">') >>> 0);
  });

  it('references nothing outside the file', () => {
    const { report, referenceProfile, currentProfile } = analyzeDrift(sample(1, 300, 0), sample(2, 300, 1), {
      now: NOW,
    });
    const html = renderDriftReportHtml(report, { reference: referenceProfile, current: currentProfile });
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });
});

describe('runDriftCommand', () => {
  it('reads the profile from a model directory and writes report.json and report.html', async () => {
    // Given a model directory whose model.json holds the reference profile, and a current CSV
    const dir = await mkdtemp(join(tmpdir(), 'drift-cli-'));
    const random = createRandom(3);
    const records = Array.from({ length: 400 }, () => ({ x: random.normal(), c: random.pick(['a', 'b']) }));
    const schema = {
      columns: [
        { name: 'x', type: 'numeric' as const, role: 'feature' as const, missingRate: 0, uniqueCount: 400 },
        { name: 'c', type: 'categorical' as const, role: 'feature' as const, missingRate: 0, uniqueCount: 2 },
      ],
      target: 'y',
      rowCount: 400,
    };
    const profile = buildProfile(tableFromRecords(records), schema);
    await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'mlops-model', schema, profile }));
    const csv = [
      'x,c,extra',
      ...Array.from({ length: 300 }, (_, i) => `${random.normal() + 0.5},${i % 2 ? 'a' : 'b'},${i}`),
    ];
    await writeFile(join(dir, 'current.csv'), `${csv.join('\n')}\n`);
    // When the command runs
    const out = join(dir, 'out');
    const report = await runDriftCommand({ reference: dir, current: join(dir, 'current.csv'), out, now: NOW });
    // Then both files are written and the JSON is a valid report that found the shift and the new column
    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(driftReportSchema.safeParse(json).success).toBe(true);
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(report.columns.find((c) => c.name === 'x')).toMatchObject({ test: 'ks', drift: true });
    expect(report.schema.newColumns.map((c) => c.name)).toEqual(['extra']);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('Drift in 1 of 2 columns');
  });

  it('says what is wrong when model.json has no profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drift-cli-'));
    await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'mlops-model' }));
    await expect(runDriftCommand({ reference: dir, current: join(dir, 'x.csv'), out: dir })).rejects.toThrow(
      /has no "profile" field/,
    );
  });
});

describe('notEnoughDataHtml', () => {
  it('states the rows seen and needed, and that nothing was judged', () => {
    const html = notEnoughDataHtml({
      model: 'churn',
      version: 3,
      rows: 1,
      minRows: 200,
      windowStart: '2026-11-28T10:00:00.000Z',
      windowEnd: '2026-11-29T10:00:00.000Z',
    });

    expect(html).toContain('Not enough data: 1 captured row in the window; at least 200 needed (drift.minRows).');
    expect(html).toContain('No verdict, no alert, no retrain.');
    expect(html).toContain('Production version 3');
  });

  it('escapes the window it is given', () => {
    const html = notEnoughDataHtml({
      model: 'churn',
      version: 1,
      rows: 0,
      minRows: 10,
      windowStart: '<script>',
      windowEnd: 'end',
    });

    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
