/**
 * How the local S3 maps object keys and bucket names onto the filesystem. S3 keys are opaque
 * strings (`..`, `.`, `a//b` and `%` are literal there), while a path interprets them; so every
 * `/`-separated segment of a key is encoded into a file name that the filesystem takes literally.
 *
 * The encoding keeps printable ASCII as it is (so `churn/dt=2026-01-01/a.csv` keeps the on-disk
 * form it always had) and writes `%XX` (uppercase hex of each UTF-8 byte) for `%`, `\`, control
 * characters and non-ASCII (whose normalisation some filesystems fold). Segments that a path would
 * interpret get one more rule: `.` and `..` become `%2E` and `%2E%2E`, an empty segment becomes a
 * lone `%`, and the `.` of s3rver's `._S3rver_` file-name marker becomes `%2E`, so no key segment
 * can pose as one of s3rver's own files. Each file name has exactly one key segment: decoding
 * accepts only what encoding produces.
 */

/** s3rver names an object's files `<last key segment>._S3rver_<resource>`. */
export const S3RVER_MARKER = '._S3rver_';
const EMPTY_SEGMENT = '%';
const MARKER_DOT = /\.(?=_s3rver_)/gi;

export function encodeKeySegment(segment: string): string {
  if (segment === '') return EMPTY_SEGMENT;
  let encoded = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    encoded += keepsAsIs(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (encoded === '.' || encoded === '..') return encoded.replaceAll('.', '%2E');
  return encoded.replace(MARKER_DOT, '%2E');
}

/** The key segment a file name stands for, or null when the name is not one `encodeKeySegment` writes. */
export function decodeKeySegment(name: string): string | null {
  if (name === EMPTY_SEGMENT) return '';
  const bytes: number[] = [];
  for (let index = 0; index < name.length; index++) {
    const char = name.charCodeAt(index);
    if (char !== 0x25) {
      if (char > 0x7f) return null;
      bytes.push(char);
      continue;
    }
    const hex = name.slice(index + 1, index + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return null;
    bytes.push(Number.parseInt(hex, 16));
    index += 2;
  }
  let segment: string;
  try {
    segment = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return null;
  }
  return encodeKeySegment(segment) === name ? segment : null;
}

/** The file-name segments of a key: one per `/`-separated part, none of them a path step. */
export function encodeKey(key: string): string[] {
  return key.split('/').map(encodeKeySegment);
}

/** S3 lists keys in the byte order of their UTF-8 encoding (JavaScript compares UTF-16 units). */
export function compareKeys(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * S3's bucket naming rules (3-63 characters of lowercase letters, digits, `.` and `-`, starting and
 * ending with a letter or digit, no `..`): a bucket name is one folder and never a path step.
 */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..');
}

function keepsAsIs(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e && byte !== 0x25 && byte !== 0x2f && byte !== 0x5c;
}
