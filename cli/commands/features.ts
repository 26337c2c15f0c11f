import { type CommandSpec, UsageError } from '../args';
import type { Command } from '../io';
import { joinVerb } from './features-join';
import { materializeVerb } from './features-materialize';

/** `mlops features <verb>`: feature views (issue 15). The verbs, one module each. */
const VERBS: Readonly<Record<string, Command>> = {
  join: joinVerb,
  materialize: materializeVerb,
};

const featuresSpec: CommandSpec = {
  name: 'features',
  summary: 'feature views: a point-in-time training set (join), load the online store (materialize)',
  usage: `mlops features <${Object.keys(VERBS).join('|')}> ...`,
  positionals: ['verb'],
  flags: {},
  examples: Object.values(VERBS).flatMap((verb) => verb.spec.examples ?? []),
};

export const featuresCommand: Command = {
  spec: featuresSpec,
  async run(argv, io) {
    const [verb, ...rest] = argv;
    const found = verb === undefined ? undefined : VERBS[verb];
    if (found) return found.run(rest, io);
    if (verb === undefined || verb === '--help' || verb === '-h') {
      io.out(
        [
          `mlops features: ${featuresSpec.summary}`,
          '',
          'verbs:',
          ...Object.entries(VERBS).map(([name, entry]) => `  ${name.padEnd(14)} ${entry.spec.summary}`),
          '',
          "run 'mlops features <verb> --help' for a verb's options",
          '',
        ].join('\n'),
      );
      return verb === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown verb "${verb}"; verbs are: ${Object.keys(VERBS).join(', ')}`);
  },
};
