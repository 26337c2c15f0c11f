import { readFile } from 'node:fs/promises';
import { EndpointNetworkError, sendRequest } from '../../adapters/endpoint-http';
import { loadConfig } from '../../core/config/load';
import {
  type AuthChoice,
  EndpointLookupError,
  endpointFromStackOutputs,
  predictUrl,
  regionOfFunctionUrl,
  signsRequests,
} from '../../core/invoke/endpoint-url';
import {
  dataFormatOf,
  type InvokeInstance,
  instancesFromJson,
  isInlineJson,
  parseInvokeData,
} from '../../core/invoke/input';
import { formatPredictionsCsv, formatPredictionsJson, formatPredictionsTable } from '../../core/invoke/output';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, planRequests } from '../../core/invoke/requests';
import {
  EndpointResponseError,
  endpointErrorLine,
  exitCodeOfStatus,
  mergeAnswers,
  type PredictAnswer,
  parsePredictAnswer,
} from '../../core/invoke/response';
import { ZONE_ENV } from '../../core/workflow/layout';
import { intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import type { Command, CommandIo } from '../io';
import { readPlatformInfo } from './local';

const AUTH_CHOICES: readonly AuthChoice[] = ['auto', 'iam', 'none'];
const FORMATS = ['table', 'csv'] as const;

/** Where the endpoint is, and how it was found (said on stderr, so a surprise is visible). */
interface ResolvedEndpoint {
  readonly root: string;
  readonly source: string;
}

/**
 * `--url`; else the deployed stack's `<Model>EndpointUrl` output when `--stack` is given or
 * MLOPS_ARTIFACTS_BUCKET says the CLI acts on the deployed app (as the registry commands do);
 * else the running local platform.
 */
async function resolveEndpoint(
  model: string,
  flags: { url?: string; stack?: string; config?: string },
  env: NodeJS.ProcessEnv,
): Promise<ResolvedEndpoint> {
  if (flags.url) return { root: flags.url, source: '--url' };
  if (flags.stack || env[ZONE_ENV.artifacts]) {
    const stackName = flags.stack ?? loadConfig(flags.config).project;
    const { readStackOutputs } =
      require('../../adapters/stack-outputs') as typeof import('../../adapters/stack-outputs');
    const outputs = await readStackOutputs(stackName).catch((error: Error) => {
      throw new EndpointLookupError(
        `cannot read the outputs of stack ${stackName} (${error.message}); give the endpoint with --url, or the stack with --stack`,
      );
    });
    return { root: endpointFromStackOutputs(outputs, model, stackName), source: `stack ${stackName}` };
  }
  const info = readPlatformInfo();
  if (!info.running) {
    throw new UsageError(
      `the local platform in ${info.dataDir} is not running; start it with 'npm start', or give --url or --stack`,
    );
  }
  const found = info.models.find((candidate) => candidate.name === model);
  if (!found) {
    throw new EndpointLookupError(
      `the local platform serves no model "${model}"; it serves: ${info.models.map((m) => m.name).join(', ')}`,
    );
  }
  return { root: found.endpoint, source: 'the local platform' };
}

async function readInstances(argument: string): Promise<InvokeInstance[]> {
  if (isInlineJson(argument)) return instancesFromJson(argument, '--data');
  const text = await readFile(argument, 'utf8').catch(() => {
    throw new UsageError(`--data: not a file and not inline JSON: ${argument}`);
  });
  return parseInvokeData(text, dataFormatOf(argument, text.slice(0, 64)), argument);
}

/** The row limit in effect: --max-rows, else the model's endpoint.maxInstances in the config, else the default. */
function maxRowsFor(model: string, flagValue: number | undefined, configPath: string | undefined): number {
  if (flagValue !== undefined) {
    if (flagValue < 1) throw new UsageError(`--max-rows must be at least 1, got ${flagValue}`);
    return flagValue;
  }
  try {
    const configured = loadConfig(configPath).models.find((candidate) => candidate.name === model);
    return configured?.endpoint.maxInstances ?? DEFAULT_MAX_ROWS;
  } catch {
    // No readable config here (a caller with only the URL): the endpoint's default limit.
    return DEFAULT_MAX_ROWS;
  }
}

type Sign = (
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
) => Promise<Record<string, string>>;

/** SigV4 with the caller's own credentials (the SDK's default chain), service lambda. */
async function iamSigner(url: URL, regionFlag: string | undefined): Promise<Sign> {
  const { sigV4Signer } = require('../../adapters/sigv4-signer') as typeof import('../../adapters/sigv4-signer');
  const { defaultProvider } =
    require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
  const region = regionOfFunctionUrl(url) ?? regionFlag ?? (await configuredRegion());
  if (!region) {
    throw new UsageError(`cannot tell the region of ${url.host}: give --region (or set AWS_REGION)`);
  }
  const chain = defaultProvider();
  const credentials = async () => {
    try {
      return await chain();
    } catch (error) {
      throw new CredentialsError(
        `no AWS credentials to sign with (${(error as Error).message.split('\n')[0]}); set AWS_PROFILE, run 'aws sso login', or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    }
  };
  const sign = sigV4Signer({ region, service: 'lambda', credentials });
  return (method, target, headers, body) => sign({ method, url: target, headers, body });
}

/** The region of the SDK's usual chain (AWS_REGION, the profile's config). */
async function configuredRegion(): Promise<string | undefined> {
  const { CloudFormationClient } =
    require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
  return (await new CloudFormationClient({}).config.region().catch(() => undefined)) || undefined;
}

class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

function printWarnings(io: CommandIo, warnings: readonly string[]): void {
  for (const warning of warnings) io.err(`warning: ${warning}\n`);
}

export const invokeCommand: Command = {
  spec: {
    name: 'invoke',
    summary:
      "send rows to a model's endpoint (deployed: SigV4-signed with your AWS credentials; or local) and print the predictions",
    usage:
      'mlops invoke <model> --data <file.csv|file.json|file.jsonl|inline JSON> [--url <endpoint>] [--json | --format csv]',
    positionals: ['model'],
    flags: {
      data: {
        type: 'string',
        required: true,
        valueName: 'file|json',
        description:
          'rows to score: CSV with a header, JSON ({"instances": [...]}, a list of records, or one record), JSON Lines, or that JSON inline',
      },
      url: {
        type: 'string',
        valueName: 'url',
        description: "the endpoint's Function URL (or its /predict URL), instead of finding it",
      },
      stack: {
        type: 'string',
        valueName: 'name',
        description: "the deployed stack whose <Model>EndpointUrl output to use (default: the config's project)",
      },
      config: {
        type: 'string',
        valueName: 'file',
        description: 'config file (default: MLOPS_CONFIG or ./mlops.config.json): stack name and row limit',
      },
      auth: {
        type: 'string',
        valueName: 'auto|iam|none',
        default: 'auto',
        description: 'iam signs with SigV4 (service lambda); auto signs https URLs and not the local http ones',
      },
      region: { type: 'string', valueName: 'region', description: 'signing region when the URL does not name one' },
      explain: { type: 'boolean', description: 'ask for explanations (?explain=true)' },
      format: { type: 'string', valueName: 'table|csv', default: 'table', description: 'how to print predictions' },
      json: {
        type: 'boolean',
        description: 'print {"model", "predictions", "warnings", "requests"} as one JSON line',
      },
      'max-rows': {
        type: 'string',
        valueName: 'n',
        description: "rows per request (default: the model's endpoint.maxInstances in the config, else 1000)",
      },
      'max-bytes': {
        type: 'string',
        valueName: 'n',
        description: `body bytes per request (default: ${DEFAULT_MAX_BYTES}, half of Lambda's 6 MB)`,
      },
      timeout: { type: 'string', valueName: 's', default: '30', description: 'seconds to wait for each answer' },
    },
    examples: [
      'mlops invoke churn --data new-customers.csv',
      `mlops invoke churn --data '{"age": 23, "tenure_months": 3, "plan": "basic"}' --json`,
      'mlops invoke churn --data rows.json --url https://abc.lambda-url.eu-west-1.on.aws/ --format csv > scored.csv',
      '# finds the endpoint: --url, else the stack output when --stack or MLOPS_ARTIFACTS_BUCKET is set, else the local platform',
    ],
  },

  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const model = positionals[0];
    if (!model) throw new UsageError('mlops invoke needs a model name');
    const auth = stringFlag(flags, 'auth') as AuthChoice;
    if (!AUTH_CHOICES.includes(auth)) throw new UsageError(`--auth must be auto, iam or none, got "${auth}"`);
    const format = stringFlag(flags, 'format') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be table or csv, got "${format}"`);
    const timeoutSeconds = intFlag(flags, 'timeout')!;
    if (timeoutSeconds < 1) throw new UsageError(`--timeout must be at least 1 second, got ${timeoutSeconds}`);
    const maxBytes = intFlag(flags, 'max-bytes') ?? DEFAULT_MAX_BYTES;
    if (maxBytes < 1) throw new UsageError(`--max-bytes must be at least 1, got ${maxBytes}`);
    const configPath = stringFlag(flags, 'config');

    const instances = await readInstances(stringFlag(flags, 'data')!);
    const endpoint = await resolveEndpoint(
      model,
      { url: stringFlag(flags, 'url'), stack: stringFlag(flags, 'stack'), config: configPath },
      process.env,
    );
    const url = predictUrl(endpoint.root, { explain: Boolean(flags.explain) });
    const signs = signsRequests(url, auth);
    const sign = signs ? await iamSigner(url, stringFlag(flags, 'region')) : undefined;
    const requests = planRequests(instances, {
      maxRows: maxRowsFor(model, intFlag(flags, 'max-rows'), configPath),
      maxBytes,
    });
    io.err(
      `invoke: ${instances.length} row(s) in ${requests.length} request(s) to ${url.href} (${endpoint.source}${signs ? ', SigV4' : ''})\n`,
    );

    const answers: PredictAnswer[] = [];
    // One request at a time, in order: a reserved concurrency of 1 still serves the whole file.
    for (const request of requests) {
      const headers = { 'content-type': 'application/json', accept: 'application/json' };
      let answer: { status: number; text: string };
      try {
        const sent = sign ? await sign('POST', url, headers, request.body) : headers;
        answer = await sendRequest('POST', url, sent, request.body, timeoutSeconds * 1000);
      } catch (error) {
        if (error instanceof EndpointNetworkError || error instanceof CredentialsError) {
          io.err(`mlops invoke: error: ${error.message}\n`);
          return 1;
        }
        throw error;
      }
      if (answer.status !== 200) {
        io.err(`mlops invoke: error: ${endpointErrorLine(answer.status, answer.text, request, requests.length)}\n`);
        return exitCodeOfStatus(answer.status);
      }
      try {
        answers.push(parsePredictAnswer(answer.text, request));
      } catch (error) {
        if (!(error instanceof EndpointResponseError)) throw error;
        io.err(`mlops invoke: error: ${error.message}\n`);
        return 1;
      }
    }

    const result = mergeAnswers(answers);
    if (flags.json) {
      io.out(formatPredictionsJson(result));
      return 0;
    }
    printWarnings(io, result.warnings);
    io.out(format === 'csv' ? formatPredictionsCsv(result) : formatPredictionsTable(result));
    io.err(`${result.model.name} version ${result.model.version}: ${result.predictions.length} prediction(s)\n`);
    return 0;
  },
};
