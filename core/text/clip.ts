/**
 * Bounds on client-supplied text echoed back in errors, warnings and logs. A request may carry a
 * multi-megabyte field name; echoed unclipped in a message and again in `field`, it once made a
 * 5.8 MB response out of a 2.9 MB key, near Lambda's 6 MB response limit.
 */

/** Characters of a client-supplied name or value kept in a message. */
export const CLIP_CHARS = 100;

/** Echoed warnings or issues kept in one response; the rest are counted in a last entry. */
export const MAX_ECHOED = 20;

/** `text` when short; else its first `max` characters and how long it was: `abc…(3000000 chars)`. */
export function clipText(text: string, max: number = CLIP_CHARS): string {
  if (text.length <= max) return text;
  // Do not cut a surrogate pair in half: the result must stay valid UTF-16 (and UTF-8 once sent).
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…(${text.length} chars)`;
}

/** At most `max` items, the last one saying how many more there were. */
export function capEchoed(items: readonly string[], what: string, max: number = MAX_ECHOED): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max), `... and ${items.length - max} more ${what}`];
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
