import { intFlag, parseOrHelp, stringFlag, UsageError } from '../args';
import { resolveTarget, stateMachineArnOf } from '../deployment-target';
import type { Command, CommandIo } from '../io';
import {
  aliasHistoryCommand,
  listModelsCommand,
  listRunsCommand,
  listVersionsCommand,
  promoteCommand,
  retrainCommand,
  rollbackCommand,
} from './registry';

const TARGET_NOTE =
  'acts on the deployed app when MLOPS_ARTIFACTS_BUCKET is set (AWS credentials as usual), else on the local platform';

function print(io: CommandIo, json: boolean, result: { text: string; json: unknown }): number {
  io.out(json ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
  return 0;
}

function modelArg(positionals: string[], verb: string): string {
  const model = positionals[0];
  if (!model) throw new UsageError(`mlops ${verb} needs a model name`);
  return model;
}

function versionArg(raw: string | undefined, what: string): number {
  const version = Number(String(raw ?? '').replace(/^v/, ''));
  if (!Number.isInteger(version) || version < 1)
    throw new UsageError(`${what} must be a version number such as 3, got "${raw ?? ''}"`);
  return version;
}

const jsonFlag = { json: { type: 'boolean' as const, description: 'print JSON' } };

export const modelsCommand: Command = {
  spec: {
    name: 'models',
    summary: 'list registered models and their production versions',
    usage: 'mlops models [--json]',
    flags: jsonFlag,
    examples: [`# ${TARGET_NOTE}`],
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags } = parsed;
    return print(io, Boolean(flags.json), await listModelsCommand(resolveTarget().registry));
  },
};

export const versionsCommand: Command = {
  spec: {
    name: 'versions',
    summary: "list a model's versions with lineage, metrics and aliases",
    usage: 'mlops versions <model> [--json]',
    positionals: ['model'],
    flags: jsonFlag,
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    return print(
      io,
      Boolean(flags.json),
      await listVersionsCommand(resolveTarget().registry, { model: modelArg(positionals, 'versions') }),
    );
  },
};

export const promoteVerb: Command = {
  spec: {
    name: 'promote',
    summary: 'point an alias (production by default) at a version, atomically',
    usage: 'mlops promote <model> <version> [--alias <name>] [--reason <text>]',
    positionals: ['model', 'version'],
    flags: {
      alias: { type: 'string', description: 'alias to move', default: 'production', valueName: 'name' },
      reason: { type: 'string', description: 'recorded in the alias history', valueName: 'text' },
      ...jsonFlag,
    },
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const model = modelArg(positionals, 'promote');
    const version = versionArg(positionals[1], 'the version');
    const result = await promoteCommand(resolveTarget().registry, {
      model,
      version,
      alias: stringFlag(flags, 'alias'),
      reason: stringFlag(flags, 'reason'),
      actor: process.env.USER ?? 'cli',
    });
    return print(io, Boolean(flags.json), result);
  },
};

export const rollbackVerb: Command = {
  spec: {
    name: 'rollback',
    summary: 'move production back to the previous version (or --to a given one) in one step',
    usage: 'mlops rollback <model> [--to <version>] [--reason <text>]',
    positionals: ['model'],
    flags: {
      to: { type: 'string', description: 'the version to roll back to', valueName: 'version' },
      reason: { type: 'string', description: 'recorded in the alias history', valueName: 'text' },
      ...jsonFlag,
    },
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const to = stringFlag(flags, 'to');
    const result = await rollbackCommand(resolveTarget().registry, {
      model: modelArg(positionals, 'rollback'),
      to: to === undefined ? undefined : versionArg(to, '--to'),
      reason: stringFlag(flags, 'reason'),
      actor: process.env.USER ?? 'cli',
    });
    return print(io, Boolean(flags.json), result);
  },
};

export const historyVerb: Command = {
  spec: {
    name: 'history',
    summary: "every move of a model's alias: sequence, time, version, previous version, kind, run, reason",
    usage: 'mlops history <model> [--alias <name>] [--json]',
    positionals: ['model'],
    flags: {
      alias: { type: 'string', description: 'alias whose moves to list', default: 'production', valueName: 'name' },
      ...jsonFlag,
    },
    examples: ['mlops history churn', 'mlops history churn --alias staging --json', `# ${TARGET_NOTE}`],
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const result = await aliasHistoryCommand(resolveTarget().registry, {
      model: modelArg(positionals, 'history'),
      alias: stringFlag(flags, 'alias'),
    });
    return print(io, Boolean(flags.json), result);
  },
};

export const runsVerb: Command = {
  spec: {
    name: 'runs',
    summary: "list a model's retraining runs: trigger, data, schema changes, gate decision, outcome",
    usage: 'mlops runs <model> [--limit <n>] [--json]',
    positionals: ['model'],
    flags: {
      limit: { type: 'string', description: 'newest runs to show', default: '20', valueName: 'n' },
      ...jsonFlag,
    },
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const result = await listRunsCommand(resolveTarget().artifacts, {
      model: modelArg(positionals, 'runs'),
      limit: intFlag(flags, 'limit'),
    });
    return print(io, Boolean(flags.json), result);
  },
};

export const retrainVerb: Command = {
  spec: {
    name: 'retrain',
    summary: "start a model's retraining workflow by hand",
    usage: 'mlops retrain <model> [--data-key <raw key>] [--reason <text>]',
    positionals: ['model'],
    flags: {
      'data-key': {
        type: 'string',
        description: 'raw-zone key to train on (default: the newest data file)',
        valueName: 'key',
      },
      reason: { type: 'string', description: "recorded in the run's trigger", valueName: 'text' },
    },
  },
  async run(argv, io) {
    const parsed = parseOrHelp(this.spec, argv, io);
    if (!parsed) return 0;
    const { flags, positionals } = parsed;
    const model = modelArg(positionals, 'retrain');
    const target = resolveTarget();
    const result = await retrainCommand(target.stepFunctions, stateMachineArnOf(target, model), {
      model,
      dataKey: stringFlag(flags, 'data-key'),
      reason: stringFlag(flags, 'reason'),
    });
    io.out(`${result.text}\n`);
    return 0;
  },
};
