import { parseArgs } from 'node:util';

/** A mistake in how a command was called; printed as one line with a hint to use --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly required?: boolean;
  readonly default?: string | boolean;
  readonly valueName?: string;
  /** The flag may be given several times; its value is then a string array. */
  readonly multiple?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly positionals?: readonly string[];
  readonly examples?: readonly string[];
}

export function helpText(spec: CommandSpec): string {
  const flagLines = Object.entries(spec.flags).map(([name, flag]) => {
    const left =
      (flag.type === 'string' ? `--${name} <${flag.valueName ?? 'value'}>` : `--${name}`) +
      (flag.multiple ? ' ...' : '');
    const suffix = flag.required ? ' (required)' : flag.default !== undefined ? ` (default: ${flag.default})` : '';
    return `  ${left.padEnd(30)} ${flag.description}${suffix}`;
  });
  const lines = [
    `mlops ${spec.name}: ${spec.summary}`,
    '',
    `usage: ${spec.usage}`,
    '',
    'options:',
    ...flagLines,
    `  ${'--help'.padEnd(30)} show this help`,
  ];
  if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((example) => `  ${example}`));
  return `${lines.join('\n')}\n`;
}

export type ParsedFlags = Record<string, string | boolean | string[] | undefined>;

/** Parses argv for one command; unknown flags and missing required ones are UsageErrors. */
export function parseCommand(
  spec: CommandSpec,
  argv: readonly string[],
): { flags: ParsedFlags; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const [name, flag] of Object.entries(spec.flags))
    options[name] = { type: flag.type, multiple: flag.multiple ?? false };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}`);
  }
  const flags: ParsedFlags = { ...parsed.values } as ParsedFlags;
  if (flags.help) return { flags, positionals: parsed.positionals, help: true };
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flags[name] === undefined && flag.default !== undefined) flags[name] = flag.default;
    if (flag.required && flags[name] === undefined) throw new UsageError(`--${name} is required`);
  }
  const expected = spec.positionals ?? [];
  if (parsed.positionals.length > expected.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[expected.length]}"`);
  }
  return { flags, positionals: parsed.positionals, help: false };
}

export function intFlag(flags: ParsedFlags, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
  return value;
}

export function numberFlag(flags: ParsedFlags, name: string): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return value;
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const raw = flags[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function listFlag(flags: ParsedFlags, name: string): string[] {
  const raw = flags[name];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}

/** Parses argv; on --help prints the command's help and returns undefined (the caller exits 0). */
export function parseOrHelp(
  spec: CommandSpec,
  argv: readonly string[],
  io: { readonly out: (text: string) => void },
): { flags: ParsedFlags; positionals: string[] } | undefined {
  const { flags, positionals, help } = parseCommand(spec, argv);
  if (!help) return { flags, positionals };
  io.out(helpText(spec));
  return undefined;
}
