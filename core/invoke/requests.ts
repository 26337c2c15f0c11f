import type { InvokeInstance } from './input';

/**
 * Splits rows into `{"instances": [...]}` bodies the endpoint accepts: at most `maxRows` rows
 * (its `endpoint.maxInstances`) and at most `maxBytes` bytes each, in input order.
 */
export interface RequestLimits {
  readonly maxRows: number;
  readonly maxBytes: number;
}

/** The endpoint's default row limit (`endpoint.maxInstances`). */
export const DEFAULT_MAX_ROWS = 1000;

/**
 * Body bytes per request. Lambda's 6 MB limit applies to the invocation event, in which the JSON
 * body is itself a JSON string: every quote in it gains a backslash. Half the limit leaves room
 * for that escaping (a body of short strings grows by at most about 5/3) and the event's headers.
 */
export const DEFAULT_MAX_BYTES = 3 * 1024 * 1024;

export interface PlannedRequest {
  /** Position of this request among the planned ones, from 0. */
  readonly index: number;
  /** Index in the input of this request's first row. */
  readonly firstRow: number;
  readonly rows: number;
  /** The JSON body, `{"instances":[...]}`. */
  readonly body: string;
}

const PREFIX = '{"instances":[';
const SUFFIX = ']}';

/**
 * Greedy in input order: a request closes when the next row would pass either limit. A single row
 * larger than `maxBytes` still goes alone, so the endpoint answers it with its own 413.
 */
export function planRequests(instances: readonly InvokeInstance[], limits: RequestLimits): PlannedRequest[] {
  if (!Number.isInteger(limits.maxRows) || limits.maxRows < 1) {
    throw new RangeError(`maxRows must be a whole number of at least 1, got ${limits.maxRows}`);
  }
  const requests: PlannedRequest[] = [];
  let parts: string[] = [];
  let bytes = PREFIX.length + SUFFIX.length;
  let firstRow = 0;
  const close = () => {
    if (parts.length === 0) return;
    requests.push({
      index: requests.length,
      firstRow,
      rows: parts.length,
      body: `${PREFIX}${parts.join(',')}${SUFFIX}`,
    });
    firstRow += parts.length;
    parts = [];
    bytes = PREFIX.length + SUFFIX.length;
  };
  for (const instance of instances) {
    const text = JSON.stringify(instance);
    const size = Buffer.byteLength(text, 'utf8');
    // + 1: the comma before every row but the first.
    if (parts.length >= limits.maxRows || (parts.length > 0 && bytes + 1 + size > limits.maxBytes)) close();
    bytes += size + (parts.length > 0 ? 1 : 0);
    parts.push(text);
  }
  close();
  return requests;
}
