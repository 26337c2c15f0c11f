import { readFileSync } from 'node:fs';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { type CommandSpec, intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command } from '../io';
import { readPlatformInfo } from './local';

/** PutRecords takes at most 500 records per call. */
const PUT_RECORDS_MAX = 500;

const spec: CommandSpec = {
  name: 'stream',
  summary: "put JSON-lines records on a model's Kinesis input stream on the local platform",
  usage: 'mlops stream put --model <name> --file <records.jsonl> [--partition-key <key>] [--chunk <n>]',
  positionals: ['action'],
  flags: {
    model: {
      type: 'string',
      required: true,
      valueName: 'name',
      description: 'the model whose input stream receives the records',
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
      description: 'one partition key for every record (default: the line number)',
    },
    chunk: {
      type: 'string',
      valueName: 'n',
      description: `records per PutRecords call (default and most: ${PUT_RECORDS_MAX})`,
    },
  },
  examples: [
    'mlops stream put --model churn --file events.jsonl',
    '# the same with the AWS CLI (stream name and endpoint from `mlops local info --json`):',
    "aws --endpoint-url http://127.0.0.1:4567 kinesis put-record --stream-name <input stream> --partition-key k --cli-binary-format raw-in-base64-out --data '{...}'",
  ],
};

/**
 * Puts records on the model's input stream in the local Kinesis, as a producer would on AWS; the
 * event source mapping delivers them to the stream scorer, which writes results to the output stream.
 */
export const streamCommand: Command = {
  spec,
  async run(argv, io) {
    const parsed = parseOrHelp(spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    if (positionals[0] !== 'put') throw new UsageError(`unknown action "${positionals[0] ?? ''}"; the action is put`);
    const model = stringFlag(flags, 'model')!;
    const file = stringFlag(flags, 'file')!;
    const chunk = intFlag(flags, 'chunk') ?? PUT_RECORDS_MAX;
    if (chunk < 1 || chunk > PUT_RECORDS_MAX)
      throw new UsageError(`--chunk must be 1 to ${PUT_RECORDS_MAX}, got ${chunk}`);
    const lines = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '');
    if (lines.length === 0) throw new UsageError(`${file} holds no records (one JSON document per line)`);
    const info = readPlatformInfo();
    if (!info.running)
      throw new UsageError(`the local platform in ${info.dataDir} is not running; start it with 'npm start'`);
    const stream = info.models.find((m) => m.name === model)?.stream;
    if (!info.kinesisEndpoint || !stream)
      throw new UsageError(`model "${model}" has no stream on the local platform (a streaming section in the config)`);
    const client = new KinesisClient({
      endpoint: info.kinesisEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const partitionKey = stringFlag(flags, 'partition-key');
    let failed = 0;
    try {
      for (let start = 0; start < lines.length; start += chunk) {
        const response = await client.send(
          new PutRecordsCommand({
            StreamName: stream.inputStream,
            Records: lines.slice(start, start + chunk).map((line, index) => ({
              Data: Buffer.from(line, 'utf8'),
              PartitionKey: partitionKey ?? String(start + index + 1),
            })),
          }),
        );
        failed += response.FailedRecordCount ?? 0;
      }
    } finally {
      client.destroy();
    }
    io.out(
      `put ${lines.length - failed} record(s) on ${stream.inputStream}` +
        (failed > 0 ? `; ${failed} refused by Kinesis` : '') +
        `. Results: Kinesis stream ${stream.outputStream ?? '?'}; bad records and exhausted batches: ${stream.onFailureFile ?? '?'}\n`,
    );
    return failed > 0 ? 1 : 0;
  },
};
