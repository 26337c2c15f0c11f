import { CLIP_CHARS, clipText } from '../../core/text/clip';
import { badRequest, HttpError } from './http';

/**
 * Reads an untrusted JSON request body. Everything here is a client error with a status and a
 * message, never an exception of another kind:
 * - bodies over `maxBytes` (checked before decoding or parsing) -> 413;
 * - bad base64, invalid JSON (NaN, Infinity, trailing commas, ...) -> 400;
 * - numbers JSON.parse overflows to +-Infinity (`1e400`) -> 400 naming the field;
 * - keys that pollute prototypes when merged (`__proto__`, `constructor`, `prototype`) -> 400;
 * - nesting deeper than `maxDepth` -> 400.
 */
export interface JsonBodyOptions {
  readonly maxBytes: number;
  /** @default 32 */
  readonly maxDepth?: number;
}

export interface RawBody {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Nesting a body may have. */
export const DEFAULT_MAX_DEPTH = 32;

export function readJsonBody(event: RawBody, options: JsonBodyOptions): unknown {
  const value = parseJsonBody(event, options);
  checkJsonBody(value, options);
  return value;
}

/**
 * readJsonBody without the walk over every value that looks for forbidden keys, numbers too large
 * and deep nesting. Only for callers that check every value of what they accept themselves (the
 * predict formats: a pass over every cell was a tenth of a large request's time) and run
 * `checkJsonBody` before reporting any problem of their own, so the first problem reported is the
 * one readJsonBody reports.
 */
export function parseJsonBody(event: RawBody, options: JsonBodyOptions): unknown {
  const text = bodyText(event, options.maxBytes);
  if (text.trim() === '') throw badRequest('the request body is empty; send a JSON document');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `the request body is not valid JSON (${clipText((error as Error).message, 200)}); NaN and Infinity are not JSON`,
    );
  }
}

/** The checks readJsonBody makes of a parsed body: throws a 400 naming the first field with a problem. */
export function checkJsonBody(value: unknown, options: Pick<JsonBodyOptions, 'maxDepth'> = {}): void {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // The walk that names the field builds a path per value (most of a large body's cost): it runs
  // only when the quick one found a problem.
  if (!isPlainJsonValue(value, maxDepth, 0)) checkJsonValue(value, maxDepth);
}

/**
 * True when nothing in `value`, found at nesting `depth` of a body, is a problem checkJsonBody
 * reports (callers of parseJsonBody check parts of a body they accept as they are).
 */
export function isPlainJsonBodyPart(value: unknown, depth: number, maxDepth = DEFAULT_MAX_DEPTH): boolean {
  return isPlainJsonValue(value, maxDepth, depth);
}

/** The body as text, within `maxBytes` (413 beyond), base64 decoded when Lambda encoded it: CSV bodies. */
export function readTextBody(event: RawBody, maxBytes: number): string {
  return bodyText(event, maxBytes);
}

function bodyText(event: RawBody, maxBytes: number): string {
  const raw = event.body ?? '';
  if (typeof raw !== 'string') throw badRequest('the request body must be text');
  if (!event.isBase64Encoded) {
    // Each UTF-16 unit is at least one UTF-8 byte, so the cheap length test never rejects a fitting body.
    if (raw.length > maxBytes || Buffer.byteLength(raw, 'utf8') > maxBytes) throw tooLarge(maxBytes);
    return raw;
  }
  // Base64 carries 3 bytes per 4 characters: reject before decoding anything large.
  if (Math.floor((raw.length * 3) / 4) - 2 > maxBytes) throw tooLarge(maxBytes);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) {
    throw badRequest('the request body is marked base64 but is not valid base64');
  }
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  return bytes.toString('utf8');
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `the request body is larger than ${maxBytes} bytes; send fewer instances per request`);
}

/**
 * True when nothing in `value` is a problem checkJsonValue reports. Recursion is safe: it stops
 * at `maxDepth` levels.
 */
function isPlainJsonValue(value: unknown, maxDepth: number, depth: number): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJsonValue(value[i], maxDepth, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (FORBIDDEN_KEYS.has(key)) return false;
    if (!isPlainJsonValue((value as Record<string, unknown>)[key], maxDepth, depth + 1)) return false;
  }
  return true;
}

/** Walks the parsed value without recursion (a deep document must not overflow the stack). */
function checkJsonValue(root: unknown, maxDepth: number): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw badRequest(
          `${clipPath(path) || 'the body'} is a number too large to represent; send a finite number`,
          clipPath(path),
        );
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxDepth) {
      throw badRequest(
        `${clipPath(path) || 'the body'} is nested more than ${maxDepth} levels deep`,
        clipPath(path) || undefined,
      );
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const childPath = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        throw badRequest(
          `${clipPath(childPath)}: the key "${key}" is not allowed in a request body`,
          clipPath(childPath),
        );
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: childPath, depth: depth + 1 });
    }
  }
}

/** A key path echoed in an error: its keys are client-chosen, so its length is too. */
function clipPath(path: string): string {
  return clipText(path, CLIP_CHARS * 3);
}
