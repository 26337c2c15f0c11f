/**
 * Canonical decimal text: `[-](0|[1-9][0-9]*)[.[0-9]*[1-9]]`, at most 15 digits, not "-0". Two
 * different such texts are two different doubles, and for values of at least 1e-6 in magnitude
 * (or zero) `String(value)` spells the text back exactly, so a reader may keep the number instead
 * of the text and lose nothing.
 */

const MINUS = 45;
const DOT = 46;
const ZERO = 48;
/** Decimals of at most this many digits are distinct doubles when they are distinct numbers (DBL_DIG). */
const MAX_EXACT_DIGITS = 15;
/** 10^0 .. 10^15, all exact doubles. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * The value of `text.slice(start, end)` when it is a canonical decimal, else NaN, read without
 * slicing: exact integer digits and one division by an exact power of ten (Clinger's fast path),
 * so the double Number() would return.
 */
export function canonicalDecimalAt(text: string, start: number, end: number): number {
  const negative = text.charCodeAt(start) === MINUS;
  let i = negative ? start + 1 : start;
  const first = text.charCodeAt(i) - ZERO;
  if (!(i < end && first >= 0 && first <= 9)) return Number.NaN;
  let mantissa = first;
  let digits = 1;
  i++;
  if (first === 0) {
    if (i === end) return negative ? Number.NaN : 0;
  } else {
    for (; i < end; i++) {
      const digit = text.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
      digits++;
    }
    if (i === end) return digits <= MAX_EXACT_DIGITS ? (negative ? -mantissa : mantissa) : Number.NaN;
  }
  if (text.charCodeAt(i) !== DOT || i + 1 === end) return Number.NaN;
  let scale = 0;
  for (i++; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    mantissa = mantissa * 10 + digit;
    digits++;
    scale++;
  }
  if (text.charCodeAt(end - 1) === ZERO || digits > MAX_EXACT_DIGITS) return Number.NaN;
  const value = mantissa / POWERS_OF_TEN[scale];
  return negative ? -value : value;
}

/** True when `String(value)` spells a canonical decimal's text back (JavaScript writes an exponent below 1e-6). */
export function spellsBack(value: number): boolean {
  return value === 0 || Math.abs(value) >= 1e-6;
}
