import { DataError } from '../../../core/data/table';
import {
  dataFormatOf,
  instancesFromCsv,
  instancesFromJson,
  instancesFromJsonLines,
  isInlineJson,
} from '../../../core/invoke/input';

describe('reading --data', () => {
  it('takes an argument starting with { or [ as inline JSON, anything else as a path', () => {
    expect([' {"a": 1}', '[{"a": 1}]', 'rows.csv', './{odd}.json'].map(isInlineJson)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('tells the format of a file by its extension, else by its first character', () => {
    expect(dataFormatOf('a.CSV', '{')).toBe('csv');
    expect(dataFormatOf('a.json', 'x')).toBe('json');
    expect(dataFormatOf('a.jsonl', '{')).toBe('jsonl');
    expect(dataFormatOf('rows', '  [{"x": 1}]')).toBe('json');
    expect(dataFormatOf('rows', 'x,y')).toBe('csv');
  });

  it('reads CSV as training does: canonical numbers as numbers, other text as text, missing cells left out', () => {
    // given
    const csv = 'age,zip,plan,score\n23,02139,basic,1e3\nNA,10001,"NA",-0.5\n';
    // when
    const instances = instancesFromCsv(csv, 'rows.csv');
    // then
    expect(instances).toEqual([
      { age: 23, zip: '02139', plan: 'basic', score: '1e3' },
      { zip: 10001, plan: 'NA', score: -0.5 },
    ]);
  });

  it('refuses a CSV with a header and no rows', () => {
    expect(() => instancesFromCsv('a,b\n', 'empty.csv')).toThrow(
      new DataError('empty.csv has a header but no rows to send'),
    );
  });

  it('takes {"instances": [...]}, a list of records, or one record', () => {
    expect(instancesFromJson('{"instances": [{"a": 1}, {"a": 2}]}', 'x')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(instancesFromJson('[{"a": 1}, {"a": null}]', 'x')).toEqual([{ a: 1 }, { a: null }]);
    expect(instancesFromJson('{"a": "b", "c": true}', 'x')).toEqual([{ a: 'b', c: true }]);
  });

  it('names the record and field that is not a scalar', () => {
    expect(() => instancesFromJson('{"instances": [{"a": 1}, {"a": [1]}]}', 'rows.json')).toThrow(
      'rows.json: instances[1].a must be a string, number, boolean or null, got a list',
    );
    expect(() => instancesFromJson('{"a": {"b": 1}}', '--data')).toThrow(
      '--data: the record.a must be a string, number, boolean or null, got an object',
    );
    expect(() => instancesFromJson('[1]', '--data')).toThrow(
      '--data: [0] must be an object of feature values, got a number',
    );
  });

  it('refuses an instances document with other fields, an empty list, and text that is not JSON', () => {
    expect(() => instancesFromJson('{"instances": [{"a": 1}], "extra": 1}', 'x')).toThrow('found "extra"');
    expect(() => instancesFromJson('[]', 'x')).toThrow('x holds no records to send');
    expect(() => instancesFromJson('{"a": 1', 'x')).toThrow(/^x is not valid JSON/);
  });

  it('reads JSON Lines one record a line, skipping blank lines, and names the line of a bad one', () => {
    expect(instancesFromJsonLines('{"a": 1}\n\n{"a": 2}\n', 'r.jsonl')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => instancesFromJsonLines('{"a": 1}\n\n[2]\n', 'r.jsonl')).toThrow(
      'r.jsonl: line 3 must be an object of feature values, got a list',
    );
  });
});
