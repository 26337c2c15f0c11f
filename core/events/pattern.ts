/**
 * EventBridge event patterns, evaluated as EventBridge does for the operators the app's rules
 * use: exact values, `prefix`, `suffix`, `anything-but` and `exists`. Any other operator throws
 * (PatternNotEmulatedError) rather than match wrongly, so a local rule that cannot be emulated
 * says so instead of silently never firing.
 */

export class PatternNotEmulatedError extends Error {
  constructor(operator: string) {
    super(
      `event pattern operator "${operator}" is not emulated locally (supported: exact values, prefix, suffix, anything-but, exists)`,
    );
    this.name = 'PatternNotEmulatedError';
  }
}

type Json = unknown;

/** Whether `event` matches `pattern`: every field of the pattern matches, absent fields match only `exists: false`. */
export function matchesEventPattern(pattern: Record<string, Json>, event: Json): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = isObject(event) ? event[field] : undefined;
    if (Array.isArray(expected)) return matchesAny(expected, value);
    if (isObject(expected)) return matchesEventPattern(expected, value);
    throw new Error(
      `event pattern field "${field}" must be an array or an object, received ${JSON.stringify(expected)}`,
    );
  });
}

/** A leaf: the event value (or any element of an event array) matches one of the pattern's entries. */
function matchesAny(entries: readonly Json[], value: Json): boolean {
  const values = Array.isArray(value) ? value : [value];
  return entries.some((entry) => {
    if (isObject(entry)) {
      const [operator, argument] = Object.entries(entry)[0] ?? [];
      if (operator === 'exists') return (value !== undefined) === argument;
      return value !== undefined && values.some((candidate) => matchesOperator(operator, argument, candidate));
    }
    return value !== undefined && values.some((candidate) => candidate === entry);
  });
}

function matchesOperator(operator: string | undefined, argument: Json, value: Json): boolean {
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && typeof argument === 'string' && value.startsWith(argument);
    case 'suffix':
      return typeof value === 'string' && typeof argument === 'string' && value.endsWith(argument);
    case 'anything-but': {
      if (isObject(argument)) throw new PatternNotEmulatedError(`anything-but ${JSON.stringify(argument)}`);
      const excluded = Array.isArray(argument) ? argument : [argument];
      return !excluded.includes(value);
    }
    default:
      throw new PatternNotEmulatedError(String(operator));
  }
}

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
