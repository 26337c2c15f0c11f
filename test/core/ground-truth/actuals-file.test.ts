import fc from 'fast-check';
import { actualsFileFormat, parseActualsFile } from '../../../core/ground-truth/actuals-file';

const bytes = (text: string) => new TextEncoder().encode(text);
const csv = (text: string, options?: Parameters<typeof parseActualsFile>[2]) =>
  parseActualsFile(bytes(text), 'csv', options);
const jsonl = (text: string) => parseActualsFile(bytes(text), 'jsonl');

describe('actualsFileFormat', () => {
  it('reads the format from the extension and ignores other files', () => {
    expect(['a.csv', 'b.CSV', 'c.jsonl', 'd.ndjson', 'e.parquet', 'f'].map(actualsFileFormat)).toEqual([
      'csv',
      'csv',
      'jsonl',
      'jsonl',
      null,
      null,
    ]);
  });
});

describe('parseActualsFile: CSV', () => {
  it('reads id and label wherever the header puts them, ignoring other columns', () => {
    const parsed = csv('customer,Label,ID\nann,yes,p1\nbob,no,p2\n');
    expect(parsed.actuals).toEqual([
      { id: 'p1', label: 'yes' },
      { id: 'p2', label: 'no' },
    ]);
    expect(parsed).toMatchObject({ lines: 2, badLineCount: 0, badLines: [] });
  });

  it('reads quoted fields with separators, doubled quotes and newlines inside', () => {
    const parsed = csv('id,label,note\r\n"a,1","say ""yes""",\r\nb,no,"two\nlines"\r\nd,yes,');
    expect(parsed.actuals).toEqual([
      { id: 'a,1', label: 'say "yes"' },
      { id: 'b', label: 'no' },
      { id: 'd', label: 'yes' },
    ]);
    expect(parsed.lines).toBe(3);
  });

  it('drops a byte order mark and skips blank lines', () => {
    const parsed = csv('\ufeffid,label\n\np1,1\n\n');
    expect(parsed.actuals).toEqual([{ id: 'p1', label: '1' }]);
    expect(parsed.lines).toBe(1);
  });

  it('counts bad lines by line number and keeps the good ones', () => {
    // Given a missing label, a short row, broken quoting and an id with spaces around it
    const parsed = csv('id,label\np1,yes\np2,\np3\n"p4"x,yes\n p5 ,no\np6,no\n');
    // Then each bad line is reported where it is, and the rest are read
    expect(parsed.actuals).toEqual([
      { id: 'p1', label: 'yes' },
      { id: 'p6', label: 'no' },
    ]);
    expect(parsed.badLineCount).toBe(4);
    expect(parsed.badLines.map((bad) => bad.line)).toEqual([3, 4, 5, 6]);
    expect(parsed.badLines[0].reason).toContain('label is required');
    expect(parsed.badLines[1].reason).toBe('1 field(s); the header names 2');
    expect(parsed.badLines[2].reason).toContain('text after a closing quote');
    expect(parsed.badLines[3].reason).toContain('must not start or end with a space');
  });

  it('reports a record spanning lines at its first line, and counts lines after it correctly', () => {
    const parsed = csv('id,label\n"a\nb",\nc,\n');
    expect(parsed.badLines.map((bad) => bad.line)).toEqual([2, 4]);
  });

  it('reports an unterminated quote once and stops there', () => {
    const parsed = csv('id,label\np1,yes\n"p2,no\np3,yes\n');
    expect(parsed.actuals).toEqual([{ id: 'p1', label: 'yes' }]);
    expect(parsed.badLines).toEqual([
      { line: 3, reason: 'a quoted field is never closed (the rest of the file is skipped)' },
    ]);
  });

  it('reports only the first bad lines but counts them all', () => {
    const parsed = csv(`id,label\n${'x,\n'.repeat(50)}`, { maxReported: 3 });
    expect(parsed.badLineCount).toBe(50);
    expect(parsed.badLines).toHaveLength(3);
  });

  it.each([
    ['no header', '', 'the file is empty; the first line must name the columns id,label'],
    [
      'a header without label',
      'id,outcome\na,1\n',
      'the header must name the columns id and label; found "id", "outcome"',
    ],
  ])('rejects a file with %s', (_case, text, reason) => {
    expect(csv(text)).toEqual({ actuals: [], lines: 0, badLineCount: 0, badLines: [], rejected: reason });
  });

  it('rejects a file over the size limit without reading it', () => {
    expect(csv('id,label\na,1\n', { maxBytes: 5 }).rejected).toBe(
      'the file holds 13 bytes, more than 5; split it into smaller files',
    );
  });

  it('rejects a file that is not UTF-8', () => {
    expect(parseActualsFile(new Uint8Array([0x69, 0x64, 0xff, 0x0a]), 'csv').rejected).toContain('not valid UTF-8');
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 200 }), (random, text) => {
        for (const format of ['csv', 'jsonl'] as const) {
          for (const input of [random, bytes(`id,label\n${text}`), bytes(text)]) {
            const parsed = parseActualsFile(input, format);
            expect(parsed.actuals.length + parsed.badLineCount).toBeLessThanOrEqual(parsed.lines);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseActualsFile: JSON Lines', () => {
  it('reads id and label, keeping the label type, ignoring other fields', () => {
    const parsed = jsonl('{"id":"a","label":1,"note":"x"}\n\n{"id":"b","label":"no"}\r\n{"id":"c","label":false}');
    expect(parsed.actuals).toEqual([
      { id: 'a', label: 1 },
      { id: 'b', label: 'no' },
      { id: 'c', label: false },
    ]);
    expect(parsed.lines).toBe(3);
  });

  it('counts bad lines by line number', () => {
    const parsed = jsonl('{"id":"a","label":1}\nnot json\n[1]\n{"id":"b"}\n{"id":"c","label":null}\n');
    expect(parsed.actuals).toEqual([{ id: 'a', label: 1 }]);
    expect(parsed.badLines.map((bad) => [bad.line, bad.reason.slice(0, 20)])).toEqual([
      [2, 'not valid JSON: not '],
      [3, 'not a JSON object {"'],
      [4, 'label is required: t'],
      [5, 'label must be a clas'],
    ]);
  });
});
