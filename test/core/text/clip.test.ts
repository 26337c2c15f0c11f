import { CLIP_CHARS, capEchoed, clipText } from '../../../core/text/clip';

describe('clipText', () => {
  it('returns text up to the limit unchanged', () => {
    expect(clipText('a'.repeat(CLIP_CHARS))).toBe('a'.repeat(CLIP_CHARS));
  });

  it('keeps the first 100 characters of longer text and says how long it was', () => {
    // given a 3 MB name
    const name = `${'n'.repeat(100)}${'x'.repeat(3_000_000)}`;
    // when clipped, then only its start and its length remain
    expect(clipText(name)).toBe(`${'n'.repeat(100)}…(3000100 chars)`);
  });

  it('does not cut a surrogate pair in half', () => {
    // given an emoji (two UTF-16 units) straddling the limit
    const text = `${'a'.repeat(99)}😀${'b'.repeat(10)}`;
    // then the clipped text ends before it and stays valid UTF-16
    const clipped = clipText(text);
    expect(clipped.startsWith(`${'a'.repeat(99)}…`)).toBe(true);
    expect(Buffer.from(clipped, 'utf8').toString('utf8')).toBe(clipped);
  });
});

describe('capEchoed', () => {
  it('keeps up to 20 items as they are', () => {
    const items = Array.from({ length: 20 }, (_, i) => `w${i}`);
    expect(capEchoed(items, 'warning(s)')).toEqual(items);
  });

  it('keeps the first 20 items and counts the rest in a last one', () => {
    const items = Array.from({ length: 5000 }, (_, i) => `w${i}`);
    const capped = capEchoed(items, 'warning(s)');
    expect(capped).toHaveLength(21);
    expect(capped[20]).toBe('... and 4980 more warning(s)');
  });
});
