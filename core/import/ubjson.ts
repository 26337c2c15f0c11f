/**
 * A Universal Binary JSON decoder (ubjson.org, draft 12: the dialect XGBoost writes for `.ubj`
 * models): big-endian numbers, length-prefixed strings and keys, and optimised containers
 * (`$` type and `#` count), which XGBoost uses for every per-node array. Values decode to what
 * JSON.parse would give: objects, arrays, numbers (int64 as a number when it is exact), strings,
 * booleans and null. Anything malformed throws, naming the byte offset.
 */
import { ImportError } from './import-error';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUbjson(bytes: Uint8Array, source = 'UBJSON'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;

  const fail = (why: string): never => {
    throw new ImportError(`${source} is not valid UBJSON: ${why} at byte ${at}`);
  };
  const need = (count: number) => {
    if (at + count > bytes.length) fail(`ends inside a value (needs ${count} more byte(s))`);
  };
  const readMarker = (): number => {
    need(1);
    return bytes[at++];
  };

  const readNumber = (marker: number): number => {
    switch (String.fromCharCode(marker)) {
      case 'i':
        need(1);
        return view.getInt8(at++);
      case 'U':
        need(1);
        return view.getUint8(at++);
      case 'I':
        need(2);
        at += 2;
        return view.getInt16(at - 2);
      case 'l':
        need(4);
        at += 4;
        return view.getInt32(at - 4);
      case 'L': {
        need(8);
        const value = view.getBigInt64(at);
        at += 8;
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
          fail(`int64 ${value} is beyond what a number holds exactly`);
        }
        return Number(value);
      }
      case 'd':
        need(4);
        at += 4;
        return view.getFloat32(at - 4);
      case 'D':
        need(8);
        at += 8;
        return view.getFloat64(at - 8);
      default:
        return fail(`expected a number marker, got "${String.fromCharCode(marker)}"`);
    }
  };

  const readLength = (): number => {
    const length = readNumber(readMarker());
    if (!Number.isInteger(length) || length < 0) fail(`length ${length} is not a count`);
    return length;
  };

  const readString = (): string => {
    const length = readLength();
    need(length);
    at += length;
    try {
      return decoder.decode(bytes.subarray(at - length, at));
    } catch {
      return fail('a string is not UTF-8');
    }
  };

  /** Reads a container's `$type` and `#count` header, if any. */
  const readContainerHeader = (): { type?: number; count?: number } => {
    let type: number | undefined;
    if (bytes[at] === 0x24 /* $ */) {
      at++;
      type = readMarker();
      if (bytes[at] !== 0x23 /* # */) fail('a typed container has no count');
    }
    if (bytes[at] === 0x23 /* # */) {
      at++;
      return { type, count: readLength() };
    }
    return { type };
  };

  const readValue = (marker: number, depth: number): unknown => {
    if (depth > 64) fail('nests deeper than 64 containers');
    switch (String.fromCharCode(marker)) {
      case 'Z':
        return null;
      case 'T':
        return true;
      case 'F':
        return false;
      case 'C':
        need(1);
        return String.fromCharCode(bytes[at++]);
      case 'S':
        return readString();
      case 'H': {
        const text = readString();
        const value = Number(text);
        return Number.isNaN(value) ? fail(`high-precision number "${text}" is not a number`) : value;
      }
      case '[':
        return readArray(depth);
      case '{':
        return readObject(depth);
      default:
        return readNumber(marker);
    }
  };

  const readArray = (depth: number): unknown[] => {
    const { type, count } = readContainerHeader();
    const values: unknown[] = [];
    if (count !== undefined) {
      // Each element takes at least one byte unless its type is a no-payload marker.
      if (type === undefined || !'ZTF'.includes(String.fromCharCode(type))) need(count);
      for (let i = 0; i < count; i++) values.push(readValue(type ?? readMarker(), depth + 1));
      return values;
    }
    for (;;) {
      const marker = readMarker();
      if (marker === 0x5d /* ] */) return values;
      if (marker === 0x4e /* N: no-op */) continue;
      values.push(readValue(marker, depth + 1));
    }
  };

  const readObject = (depth: number): Record<string, unknown> => {
    const { type, count } = readContainerHeader();
    const object: Record<string, unknown> = {};
    const put = (key: string, value: unknown) =>
      Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    if (count !== undefined) {
      for (let i = 0; i < count; i++) {
        const key = readString();
        put(key, readValue(type ?? readMarker(), depth + 1));
      }
      return object;
    }
    for (;;) {
      if (bytes[at] === 0x7d /* } */) {
        at++;
        return object;
      }
      const key = readString();
      let marker = readMarker();
      while (marker === 0x4e) marker = readMarker();
      put(key, readValue(marker, depth + 1));
    }
  };

  let marker = readMarker();
  while (marker === 0x4e) marker = readMarker();
  const value = readValue(marker, 0);
  if (at !== bytes.length) fail(`has ${bytes.length - at} byte(s) after the value`);
  return value;
}
