import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { awsDoctorPorts, createDoctorClients } from '../../adapters/doctor-ports';
import { loadConfig } from '../../core/config/load';
import { type CommandSpec, parseOrHelp, stringFlag } from '../args';
import {
  type CheckResult,
  type DeployNeeds,
  type DoctorPorts,
  reservedConcurrencyOf,
  runDoctor,
} from '../doctor/checks';
import type { Command, CommandIo } from '../io';

const spec: CommandSpec = {
  name: 'doctor',
  summary: 'check this machine and AWS account can deploy: run it before cdk deploy',
  usage: 'mlops doctor [--config <file>] [--json]',
  flags: {
    config: {
      type: 'string',
      valueName: 'file',
      description: 'config file (default: MLOPS_CONFIG or ./mlops.config.json)',
    },
    json: {
      type: 'boolean',
      description: 'print a JSON array of {id, status: ok|warn|fail, message, fix}',
    },
  },
  examples: ['npx mlops doctor && npx cdk deploy', 'CDK_DOCKER=finch npx mlops doctor --json'],
};

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

/** Runs the checks against `ports`; exit 0 when nothing fails, 1 otherwise. */
export async function runDoctorCommand(
  argv: readonly string[],
  io: CommandIo,
  ports: () => DoctorPorts,
): Promise<number> {
  const parsed = parseOrHelp(spec, argv, io);
  if (!parsed) return 0;
  const { flags } = parsed;
  const { needs, configCheck } = deployNeeds(stringFlag(flags, 'config'));
  const results = [configCheck, ...(await runDoctor(ports(), needs))];
  if (flags.json) {
    io.out(`${JSON.stringify(results)}\n`);
  } else {
    const width = Math.max(...results.map((result) => result.id.length));
    for (const result of results) {
      const fix = result.fix ? `; fix: ${result.fix}` : '';
      io.out(`${MARK[result.status]}  ${result.id.padEnd(width)}  ${result.message}${fix}\n`);
    }
    const failed = results.filter((result) => result.status === 'fail').length;
    const skipped = results.filter((result) => result.status === 'skip').length;
    io.out(
      failed === 0
        ? 'ready to deploy: npx cdk deploy\n'
        : `${failed} check(s) failed${skipped ? `, ${skipped} not checked` : ''}: fix them before cdk deploy\n`,
    );
  }
  return results.some((result) => result.status === 'fail') ? 1 : 0;
}

/** What the config asks of the account; a config that does not load is itself a failed check. */
function deployNeeds(path: string | undefined): { needs: DeployNeeds; configCheck: CheckResult } {
  const qualifier = bootstrapQualifier();
  try {
    const config = loadConfig(path);
    const reservedConcurrency = reservedConcurrencyOf(config.models);
    return {
      needs: { stackName: config.project, reservedConcurrency, qualifier },
      configCheck: {
        id: 'config',
        status: 'ok',
        message: `project ${config.project}, ${config.models.length} model(s), reserving ${reservedConcurrency} concurrent executions`,
        fix: '',
      },
    };
  } catch (error) {
    return {
      needs: { stackName: 'mlops', reservedConcurrency: 0, qualifier },
      configCheck: {
        id: 'config',
        status: 'fail',
        message: (error as Error).message.split('\n')[0]!,
        fix: 'fix the config file (mlops.config.schema.json documents every field)',
      },
    };
  }
}

/** cdk.json's `@aws-cdk/core:bootstrapQualifier`, as the synthesizer reads it. */
function bootstrapQualifier(): string | undefined {
  const file = resolve('cdk.json');
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'))?.context?.['@aws-cdk/core:bootstrapQualifier'];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

export const doctorCommand: Command = {
  spec,
  run: (argv, io) => runDoctorCommand(argv, io, () => awsDoctorPorts(createDoctorClients())),
};
