import {
  assertNoCollisions,
  assertNothingToReplace,
  outForm,
  planScoringTargets,
  ScoringTargetError,
} from '../../../core/score/out-paths';

const plan = (out: string, key: string, inputKeys: string[], extra: { shards?: number; shardIndex?: number } = {}) =>
  planScoringTargets({
    out,
    form: outForm(out, key, false),
    inputKeys,
    inputName: (name) => (name === '' ? 'customers.csv' : name),
    inputPrefix: 'in/',
    shardIndex: extra.shardIndex ?? 0,
    shards: extra.shards ?? 1,
  });

describe('the --out forms', () => {
  test.each([
    ['s3://b/out/', 'out/', { kind: 'prefix', prefix: 'out/' }],
    ['s3://b/out', 'out', { kind: 'prefix', prefix: 'out/' }],
    ['s3://b', '', { kind: 'prefix', prefix: '' }],
    ['s3://b/out/scored.csv', 'out/scored.csv', { kind: 'file', key: 'out/scored.csv' }],
    ['s3://b/out/SCORED.CSV', 'out/SCORED.CSV', { kind: 'file', key: 'out/SCORED.CSV' }],
    ['results', 'results', { kind: 'prefix', prefix: 'results/' }],
    ['scored.csv/', 'scored.csv/', { kind: 'prefix', prefix: 'scored.csv/' }],
  ])('%s is %j', (out, key, form) => {
    expect(outForm(out, key, false)).toEqual(form);
  });

  test('an existing folder is a prefix even when its name ends in .csv', () => {
    expect(outForm('weird.csv', 'weird.csv', true)).toEqual({ kind: 'prefix', prefix: 'weird.csv/' });
  });

  test.each(['scores.parquet', 's3://b/out/scores.jsonl', 'manifest.json'])('%s is refused: scores are CSV', (out) => {
    expect(() => outForm(out, out.replace(/^s3:\/\/b\//, ''), false)).toThrow(
      /ends in \.\w+, but scores are written as CSV; give a \.csv file or a folder\/prefix/,
    );
  });
});

describe('the files a run writes', () => {
  test('a .csv --out holds the scores, with the errors and the manifest beside it under their own names', () => {
    expect(plan('scored.csv', 'scored.csv', [''])).toEqual({
      targets: [{ input: '', output: 'scored.csv', errors: 'scored.errors.jsonl' }],
      manifest: 'scored.manifest.json',
    });
  });

  test('a prefix gets one scores and one errors file per input and a manifest per shard', () => {
    expect(plan('s3://b/out', 'out', ['in/a.csv', 'in/sub/b.parquet'], { shards: 2, shardIndex: 1 })).toEqual({
      targets: [
        { input: 'in/a.csv', output: 'out/a.scored.csv', errors: 'out/a.errors.jsonl' },
        { input: 'in/sub/b.parquet', output: 'out/sub/b.scored.csv', errors: 'out/sub/b.errors.jsonl' },
      ],
      manifest: 'out/_manifests/shard-1-of-2.json',
    });
  });

  test('a .csv --out for several inputs is refused, naming how many there are', () => {
    expect(() => plan('scored.csv', 'scored.csv', ['in/a.csv', 'in/b.csv'])).toThrow(
      '--out scored.csv is one file, but the input holds 2 data files; give a folder or prefix (end it with /)',
    );
  });

  test('a .csv --out with several shards is refused: their manifests would share one name', () => {
    expect(() => plan('scored.csv', 'scored.csv', [''], { shards: 2 })).toThrow(
      '--out scored.csv is one file, which one shard writes, but --shards is 2; give a folder or prefix',
    );
  });
});

describe('collisions', () => {
  const input = { key: 'customers.csv', name: '/data/customers.csv' };

  test('a write onto an input is refused', () => {
    expect(() =>
      assertNoCollisions({
        inputs: [input],
        writes: [{ what: 'scores of customers.csv', name: '/data/customers.csv' }],
      }),
    ).toThrow(
      'the scores of customers.csv would be written to /data/customers.csv, which is an input; choose an --out outside the input',
    );
  });

  test('two writes to one name are refused, naming both', () => {
    expect(() =>
      assertNoCollisions({
        inputs: [],
        writes: [
          { what: 'scores of in/a.csv', name: 's3://b/out/a.scored.csv' },
          { what: 'scores of in/a.txt', name: 's3://b/out/a.scored.csv' },
        ],
      }),
    ).toThrow('the scores of in/a.csv and the scores of in/a.txt would both be written to s3://b/out/a.scored.csv');
  });

  test('an output prefix inside the input prefix is refused', () => {
    expect(() =>
      assertNoCollisions({ inputs: [], inputRoot: 's3://b/in/', outRoot: 's3://b/in/out/', writes: [] }),
    ).toThrow(ScoringTargetError);
  });

  test('sibling prefixes that share a beginning are not nested', () => {
    expect(() =>
      assertNoCollisions({ inputs: [], inputRoot: '/data/in', outRoot: '/data/in-scored', writes: [] }),
    ).not.toThrow();
  });

  test('existing outputs are refused without force, naming the first and how many more', () => {
    expect(() => assertNothingToReplace(['/o/a.scored.csv', '/o/a.errors.jsonl'], false)).toThrow(
      '/o/a.scored.csv already exists (and 1 more); pass --force to replace the outputs, or choose another --out',
    );
    expect(() => assertNothingToReplace(['/o/a.scored.csv'], true)).not.toThrow();
  });
});

describe('manifests', () => {
  const oneObject = (key: string) =>
    planScoringTargets({
      out: 's3://b/out/',
      form: outForm('s3://b/out/', 'out/', false),
      inputKeys: [key],
      inputName: (name) => name,
      inputPrefix: key,
      shardIndex: 0,
      shards: 1,
    });

  test('each upload job over one object writes its own manifest, so two uploads never replace each other’s', () => {
    expect(oneObject('score/input/a.csv').manifest).toBe('out/_manifests/a.json');
    expect(oneObject('score/input/b.parquet').manifest).toBe('out/_manifests/b.json');
  });

  test('a run over a prefix writes one manifest per shard', () => {
    expect(plan('s3://b/out/', 'out/', ['in/a.csv', 'in/b.csv'], { shards: 2, shardIndex: 1 }).manifest).toBe(
      'out/_manifests/shard-1-of-2.json',
    );
  });
});
