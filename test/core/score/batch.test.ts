import { parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { type ScoringErrorLine, scoreCsvStream, scoreObject } from '../../../core/score/batch';
import type { Scorer } from '../../../core/score/scorer';
import { writeParquetFiles } from '../data/parquet-writer';
import { bytesOf, churnCsv, churnRecords, gbdtScorer, linearScorer, MemorySink } from './fixtures';

async function score(scorer: Scorer, text: string, options: { chunkChars?: number; pieceBytes?: number } = {}) {
  const output = new MemorySink();
  const errors = new MemorySink();
  const counts = await scoreCsvStream(
    scorer,
    bytesOf(text, options.pieceBytes),
    { output, errors },
    {
      source: 'input.csv',
      chunkChars: options.chunkChars ?? 64,
    },
  );
  const errorLines = errors.text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScoringErrorLine);
  return { counts, output: parseCsv(output.text), errorLines };
}

const column = (table: ReturnType<typeof parseCsv>, name: string) => table.columns[table.columnNames.indexOf(name)];

describe('batch scoring of a CSV stream', () => {
  test.each([
    ['linear', linearScorer],
    ['gbdt', gbdtScorer],
  ])('scores every row exactly as Scorer.scoreTable does on the whole file (%s)', async (_kind, makeScorer) => {
    // given a 500-row file read in 7-byte pieces and cut into small chunks
    const scorer = makeScorer();
    const text = churnCsv(500);
    // when it is batch scored
    const { counts, output } = await score(scorer, text);
    // then scores and labels equal scoreTable's, bit for bit and in input order
    const expected = scorer.scoreTable(parseCsv(text));
    expect(counts).toMatchObject({ format: 'csv', rowsRead: 500, rowsScored: 500, rowsFailed: 0 });
    expect(column(output, 'score').map(Number)).toEqual(Array.from(expected.scores));
    expect(column(output, 'score').every((cell, row) => Number(cell) === expected.scores[row])).toBe(true);
    expect(column(output, 'label')).toEqual(expected.labels);
    expect(column(output, 'age')).toEqual(parseCsv(text).columns[0]);
  });

  test('a row with a wrong type goes to the errors with its line and reason, and its neighbours are scored', async () => {
    // given a file whose third data row has a text age
    const text = 'age,plan,active\n30,basic,true\n41,pro,false\nforty,team,true\n52,basic,no\n';
    const scorer = linearScorer();
    // when scored
    const { counts, output, errorLines } = await score(scorer, text, { chunkChars: 1000 });
    // then line 4 is rejected with the endpoint's message and the other rows keep their order
    expect(errorLines).toEqual([{ line: 4, reason: 'age must be a number, got "forty"', record: 'forty,team,true' }]);
    expect(counts).toMatchObject({ rowsRead: 4, rowsScored: 3, rowsFailed: 1 });
    expect(column(output, 'age')).toEqual(['30', '41', '52']);
    const good = parseCsv('age,plan,active\n30,basic,true\n41,pro,false\n52,basic,no\n');
    expect(column(output, 'score').map(Number)).toEqual(Array.from(scorer.scoreTable(good).scores));
  });

  test('an unreadable record is rejected alone, with the line it starts on past quoted line breaks', async () => {
    // given a quoted field spanning two lines, then a row with too many fields, then an unterminated quote
    const text = 'age,plan,active\n30,"basic\nplan",true\n41,pro,false,extra\n52,pro,true\n60,"team,true\n';
    // when scored
    const { counts, output, errorLines } = await score(linearScorer(), text, { chunkChars: 1000 });
    // then the record on line 4 and the one from line 6 are the errors; the two others are scored
    expect(errorLines.map((error) => [error.line, error.reason.split(';')[0]])).toEqual([
      [4, 'expected 3 fields, found 4'],
      [6, 'column "plan": unterminated quote'],
    ]);
    expect(column(output, 'plan')).toEqual(['basic\nplan', 'pro']);
    expect(counts).toMatchObject({ rowsRead: 4, rowsScored: 2, rowsFailed: 2 });
  });

  test('chunk boundaries never split a quoted line break, whatever the piece and chunk sizes', async () => {
    // given records with quoted CRLFs and escaped quotes
    const rows = Array.from({ length: 40 }, (_, i) => `${20 + i},"pl""an\r\n${i}",${i % 2 === 0}`);
    const text = `age,plan,active\r\n${rows.join('\r\n')}\r\n`;
    const scorer = linearScorer();
    const expected = scorer.scoreTable(parseCsv(text));
    for (const [pieceBytes, chunkChars] of [
      [1, 1],
      [3, 17],
      [64, 5],
    ]) {
      // when scored with tiny pieces and chunks
      const { output, errorLines } = await score(scorer, text, { pieceBytes, chunkChars });
      // then every row is read as a whole record
      expect(errorLines).toEqual([]);
      expect(column(output, 'plan')).toEqual(rows.map((_, i) => `pl"an\r\n${i}`));
      expect(column(output, 'score').map(Number)).toEqual(Array.from(expected.scores));
    }
  });

  test('a feature column absent from the header is imputed and reported as a warning', async () => {
    // given a file without the active column
    const scorer = linearScorer();
    const text = 'age,plan\n30,basic\n41,pro\n';
    // when scored
    const { counts, output } = await score(scorer, text);
    // then rows are scored as scoreTable scores them with active missing
    const expected = scorer.scoreTable(parseCsv('age,plan,active\n30,basic,\n41,pro,\n'));
    expect(column(output, 'score').map(Number)).toEqual(Array.from(expected.scores));
    expect(counts.warnings).toEqual(['feature column(s) active absent from the header: imputed as in training']);
  });

  test('an empty file fails as a whole with a message naming it', async () => {
    // given an empty object, when scored, then the error names it
    await expect(score(linearScorer(), '')).rejects.toThrow('input.csv is empty');
  });

  test('Parquet is recognised by its magic bytes and scored like the same rows read from CSV', async () => {
    // given 50 rows as a Parquet file (typed columns) and as CSV
    const scorer = linearScorer();
    const records = churnRecords(50, 5);
    const { file } = writeParquetFiles(
      `{ file: { columnData: [
        { name: 'age', data: ${JSON.stringify(records.map((r) => r.age))}, type: 'DOUBLE' },
        { name: 'plan', data: ${JSON.stringify(records.map((r) => r.plan))}, type: 'STRING' },
        { name: 'active', data: ${JSON.stringify(records.map((r) => r.active))}, type: 'BOOLEAN' },
      ] } }`,
    );
    const output = new MemorySink();
    // when scored through scoreObject in slices of 7 rows, under a name without an extension
    async function* once() {
      yield file!;
    }
    const counts = await scoreObject(
      scorer,
      once(),
      { output, errors: new MemorySink() },
      {
        source: 'input.bin',
        chunkRows: 7,
      },
    );
    // then it is read as Parquet and the scores equal scoreTable's on the same records
    const expected = scorer.scoreTable(tableFromRecords(records.map(({ churned: _t, ...features }) => features)));
    expect(counts).toMatchObject({ format: 'parquet', rowsScored: 50, rowsFailed: 0 });
    expect(column(parseCsv(output.text), 'score').map(Number)).toEqual(Array.from(expected.scores));
  });
});
