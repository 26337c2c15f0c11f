import { decodeUbjson } from '../../../core/import/ubjson';

/** Bytes from a mix of one-character markers (strings) and raw byte values (numbers). */
function bytes(...parts: Array<string | number | number[]>): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const c of part) out.push(c.charCodeAt(0));
    else if (typeof part === 'number') out.push(part);
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

function float32BigEndian(value: number): number[] {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return [...new Uint8Array(view.buffer)];
}

describe('decodeUbjson', () => {
  test('an object with a string, integers of each width, and constants', () => {
    const value = decodeUbjson(
      bytes(
        '{',
        'i',
        1,
        'a',
        'S',
        'i',
        2,
        'h',
        'i',
        'i',
        1,
        'b',
        'I',
        [0x01, 0x00],
        'i',
        1,
        'c',
        'l',
        [0xff, 0xff, 0xff, 0xfe],
        'i',
        1,
        'd',
        'L',
        [0, 0, 0, 0, 0, 0, 0, 7],
        'i',
        1,
        'e',
        'T',
        'i',
        1,
        'f',
        'Z',
        'i',
        1,
        'g',
        'U',
        200,
        '}',
      ),
    );
    expect(value).toEqual({ a: 'hi', b: 256, c: -2, d: 7, e: true, f: null, g: 200 });
  });

  test('a typed, counted float32 array (how XGBoost writes split conditions)', () => {
    const value = decodeUbjson(bytes('[', '$', 'd', '#', 'i', 2, float32BigEndian(0.5), float32BigEndian(-1.25)));
    expect(value).toEqual([0.5, -1.25]);
  });

  test('a counted object without a type, and an uncounted array with no-ops', () => {
    expect(decodeUbjson(bytes('{', '#', 'i', 1, 'i', 1, 'k', 'D', [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]))).toEqual({ k: 1 });
    expect(decodeUbjson(bytes('[', 'i', 5, 'N', 'F', ']'))).toEqual([5, false]);
  });

  test('a key such as __proto__ is plain data', () => {
    const value = decodeUbjson(bytes('{', 'i', 9, '__proto__', 'i', 1, '}')) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  test('truncated input, trailing bytes and unknown markers are errors naming the offset', () => {
    expect(() => decodeUbjson(bytes('[', '$', 'd', '#', 'i', 2, float32BigEndian(0.5)), 'm.ubj')).toThrow(
      'm.ubj is not valid UBJSON: ends inside a value (needs 4 more byte(s)) at byte 10',
    );
    expect(() => decodeUbjson(bytes('T', 'T'), 'm.ubj')).toThrow(
      'm.ubj is not valid UBJSON: has 1 byte(s) after the value at byte 1',
    );
    expect(() => decodeUbjson(bytes('?'), 'm.ubj')).toThrow('expected a number marker, got "?"');
  });
});
