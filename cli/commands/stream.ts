import { readFileSync } from 'node:fs';
import { type CommandSpec, intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';
import { readPlatformInfo } from './local';

/** The local platform's admin route that feeds the model's stream scorer (local/stream-shim.ts handleStreamPut). */
export const streamPutPath = (model: string): string => `/_local/stream/${model}`;

const spec: CommandSpec = {
  name: 'stream',
  summary: "put JSON-lines records on a model's stream scorer on the local platform",
  usage: 'mlops stream put --model <name> --file <records.jsonl> [--partition-key <key>] [--chunk <n>]',
  positionals: ['action'],
  flags: {
    model: {
      type: 'string',
      required: true,
      valueName: 'name',
      description: 'the model whose stream scorer receives the records',
    },
    file: {
      type: 'string',
      required: true,
      valueName: 'path',
      description: 'JSON lines: each line one record\'s data (features, or {"instances": [...]})',
    },
    'partition-key': {
      type: 'string',
      valueName: 'key',
      description: 'one partition key for every record (default: one per record)',
    },
    chunk: { type: 'string', valueName: 'n', description: 'lines per request to the platform (default: 1000)' },
  },
  examples: ['mlops stream put --model churn --file events.jsonl'],
};

export const streamCommand: Command = {
  spec,
  async run(argv, io) {
    const parsed = parseOrHelp(spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    if (positionals[0] !== 'put') throw new UsageError(`unknown action "${positionals[0] ?? ''}"; the action is put`);
    const model = stringFlag(flags, 'model')!;
    const file = stringFlag(flags, 'file')!;
    const chunk = intFlag(flags, 'chunk') ?? 1000;
    if (chunk < 1) throw new UsageError(`--chunk must be at least 1, got ${chunk}`);
    const lines = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '');
    if (lines.length === 0) throw new UsageError(`${file} holds no records (one JSON document per line)`);
    const info = readPlatformInfo();
    if (!info.running)
      throw new UsageError(`the local platform in ${info.dataDir} is not running; start it with 'npm start'`);
    const partitionKey = stringFlag(flags, 'partition-key');
    let records = 0;
    let invocations = 0;
    const dropped: string[] = [];
    for (let start = 0; start < lines.length; start += chunk) {
      const response = await fetch(`${info.httpUrl}${streamPutPath(model)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lines: lines.slice(start, start + chunk), ...(partitionKey ? { partitionKey } : {}) }),
      });
      const body = (await response.json()) as {
        records?: number;
        invocations?: number;
        dropped?: string[];
        error?: { message: string };
      };
      if (!response.ok) {
        io.err(`mlops stream: the platform answered ${response.status}: ${body.error?.message ?? 'no message'}\n`);
        return response.status === 404 ? 2 : 1;
      }
      records += body.records ?? 0;
      invocations += body.invocations ?? 0;
      dropped.push(...(body.dropped ?? []));
    }
    io.out(
      `put ${records} record(s) on ${model}'s stream scorer in ${invocations} invocation(s); ` +
        `${dropped.length} dropped after retries. Results: s3://${info.buckets.monitoring}/stream/${model}/\n`,
    );
    return dropped.length > 0 ? 1 : 0;
  },
};
