import { parseCsv } from '../../../core/data/csv';
import { tableFromRecords } from '../../../core/data/table';
import { PredictionBatches } from '../../../core/ground-truth/prediction-log';
import { predictionRecordSchema } from '../../../core/ground-truth/records';
import { type ScoringErrorLine, scoreCsvStream, scoreObject } from '../../../core/score/batch';
import type { Scorer } from '../../../core/score/scorer';
import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { writeParquetFiles } from '../data/parquet-writer';
import { bytesOf, churnCsv, churnRecords, gbdtScorer, importedScorer, linearScorer, MemorySink } from './fixtures';

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

  test('a feature column absent from the header of an imported model is passed on as missing, and the warning says so', async () => {
    // given an imported XGBoost model and a file without its income column
    const scorer = importedScorer();
    const text = 'age,visits,score\n30,2,0.5\n55,7,-0.2\n';
    // when scored
    const { counts, output } = await score(scorer, text);
    // then rows are scored with income missing (the trees' default directions), as the warning says
    const expected = scorer.scoreTable(parseCsv('age,income,visits,score\n30,,2,0.5\n55,,7,-0.2\n'));
    expect(column(output, 'score').map(Number)).toEqual(Array.from(expected.scores));
    // (the model's own feature named score is replaced in the output by the prediction: warned too)
    expect(counts.warnings).toContain(
      'feature column(s) income absent from the header: passed to the model as missing, so each tree takes its default direction',
    );
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

describe('batch scoring: prediction ids and the prediction log', () => {
  const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
  const scoredAt = new Date('2026-12-07T10:00:00.000Z');

  async function scoreWithLog(
    text: string,
    options: {
      idField?: string;
      maxRecords?: number;
      chunkChars?: number;
      scorer?: Scorer;
      recordFeatures?: boolean;
    } = {},
  ) {
    const store = new MemoryObjectStore();
    const batches = new PredictionBatches(store, 'churn', { maxRecords: options.maxRecords, now: () => scoredAt });
    const output = new MemorySink();
    const errors = new MemorySink();
    const counts = await scoreCsvStream(
      options.scorer ?? linearScorer(),
      bytesOf(text),
      { output, errors },
      {
        source: 'input.csv',
        chunkChars: options.chunkChars ?? 200,
        idField: options.idField,
        predictionLog: { batches, version: 3 },
        recordFeatures: options.recordFeatures,
        now: () => scoredAt,
      },
    );
    await batches.close();
    const logged = [];
    for (const key of batches.keys) {
      const body = new TextDecoder().decode((await store.get(key))!.body);
      for (const line of body.split('\n').filter(Boolean)) logged.push(predictionRecordSchema.parse(JSON.parse(line)));
    }
    const errorLines = errors.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ScoringErrorLine);
    return { counts, output: parseCsv(output.text), logged, keys: batches.keys, errorLines };
  }

  test('the ids and scores in the output are exactly the records logged, in bounded batches', async () => {
    // given a 500-row file, a gbdt model and batches of at most 60 records
    const { counts, output, logged, keys } = await scoreWithLog(churnCsv(500), {
      maxRecords: 60,
      scorer: gbdtScorer(),
    });
    // then every output row has a new id of ours, recorded with its score and label under version 3
    const ids = column(output, 'id') as string[];
    expect(ids.every((id) => ULID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(500);
    expect(logged.map((record) => [record.id, record.score, record.label])).toEqual(
      ids.map((id, row) => [id, Number(column(output, 'score')[row]), column(output, 'label')[row]]),
    );
    expect(logged.every((record) => record.model === 'churn' && record.version === 3)).toBe(true);
    expect(logged.every((record) => record.time === scoredAt.toISOString())).toBe(true);
    // and the log is 9 objects (8 full of 60, one of 20) under the model's prediction prefix
    expect(keys).toHaveLength(9);
    expect(keys.every((key) => key.startsWith('predictions/churn/dt=2026-12-07/hour=10/'))).toBe(true);
    expect(counts).toMatchObject({ rowsScored: 500, predictionsLogged: 500, repeatedIds: 0 });
    expect(output.columnNames.slice(-3)).toEqual(['id', 'score', 'label']);
  });

  test("records each row's feature values when the model trains on its feedback, and only the model's features", async () => {
    // given a file with an extra column that is no feature
    const text = 'age,plan,active,note\n30,basic,true,x\n41,pro,false,y\n';
    // when scored with recordFeatures
    const { logged } = await scoreWithLog(text, { recordFeatures: true });
    // then each record carries the row's features as the file holds them (CSV cells are text)
    expect(logged.map((record) => record.features)).toEqual([
      { age: '30', plan: 'basic', active: 'true' },
      { age: '41', plan: 'pro', active: 'false' },
    ]);
  });

  test("a row's own id from the id column is used, and a row without one gets an id of ours", async () => {
    // given an order_id column with an empty cell on the second row
    const text = 'order_id,age,plan,active\nA-1,30,basic,true\n,41,pro,false\nA-3,52,basic,no\n';
    // when scored with idField order_id
    const { output, logged } = await scoreWithLog(text, { idField: 'order_id' });
    // then the caller ids are kept, the empty one is replaced by ours, and the input column stays
    const ids = column(output, 'id') as string[];
    expect([ids[0], ids[2]]).toEqual(['A-1', 'A-3']);
    expect(ids[1]).toMatch(ULID);
    expect(column(output, 'order_id')).toEqual(['A-1', null, 'A-3']);
    expect(logged.map((record) => record.id)).toEqual(ids);
  });

  test('a row whose id is not a valid prediction id is rejected naming the column; its neighbours are scored', async () => {
    // given a quoted id with a trailing space on line 3
    const text = 'order_id,age,plan,active\nA-1,30,basic,true\n"A-2 ",41,pro,false\nA-3,52,basic,no\n';
    // when scored
    const { counts, output, errorLines, logged } = await scoreWithLog(text, { idField: 'order_id' });
    // then line 3 is in the errors with the id rule, and the others are scored and logged
    expect(errorLines).toEqual([
      { line: 3, reason: 'order_id must not start or end with a space (got "A-2 ")', record: '"A-2 ",41,pro,false' },
    ]);
    expect(column(output, 'id')).toEqual(['A-1', 'A-3']);
    expect(logged.map((record) => record.id)).toEqual(['A-1', 'A-3']);
    expect(counts).toMatchObject({ rowsScored: 2, rowsFailed: 1 });
  });

  test('an id repeating an earlier row is scored but not logged, and the warning names both lines', async () => {
    // given order ids where A-1 comes back on line 5 and A-2 on line 6, across chunks of about 2 rows
    const rows = ['A-1,30,basic,true', 'A-2,41,pro,false', 'A-3,52,basic,no', 'A-1,33,team,true', 'A-2,60,pro,no'];
    const text = `order_id,age,plan,active\n${rows.join('\n')}\n`;
    // when scored
    const { counts, output, logged } = await scoreWithLog(text, { idField: 'order_id', chunkChars: 40 });
    // then every row is in the output with its id, only the first sightings are logged
    expect(column(output, 'id')).toEqual(['A-1', 'A-2', 'A-3', 'A-1', 'A-2']);
    expect(logged.map((record) => record.id)).toEqual(['A-1', 'A-2', 'A-3']);
    expect(logged[0]!.score).toBe(Number(column(output, 'score')[0]));
    expect(counts).toMatchObject({ rowsScored: 5, predictionsLogged: 3, repeatedIds: 2 });
    expect(counts.warnings).toEqual([
      "2 row(s) repeat an earlier row's id in column order_id: scored, not recorded for the ground-truth join " +
        '(the first row keeps the id): "A-1" on line 5 repeats line 2; "A-2" on line 6 repeats line 3',
    ]);
  });

  test('without a log every row still gets an id, and an input column named id is replaced with a warning', async () => {
    // given a file with its own id column and no idField configured
    const output = new MemorySink();
    const counts = await scoreCsvStream(
      linearScorer(),
      bytesOf('id,age,plan,active\nx,30,basic,true\nx,41,pro,false\n'),
      { output, errors: new MemorySink() },
      { source: 'input.csv' },
    );
    // then the output id column holds two different ids of ours
    const ids = column(parseCsv(output.text), 'id') as string[];
    expect(ids.every((id) => ULID.test(id)) && ids[0] !== ids[1]).toBe(true);
    expect(counts.warnings).toEqual(["input column(s) id replaced by the model's prediction in the output"]);
    expect(counts).toMatchObject({ predictionsLogged: 0, repeatedIds: 0 });
  });

  test('an id column absent from the header is reported, and every row gets an id of ours', async () => {
    const { counts, logged } = await scoreWithLog('age,plan,active\n30,basic,true\n', { idField: 'order_id' });
    expect(counts.warnings).toEqual([
      'id column order_id (predictions.idField) absent from the header: every row gets an id of ours',
    ]);
    expect(logged[0]!.id).toMatch(ULID);
  });
});
