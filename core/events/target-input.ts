/**
 * What an EventBridge rule sends its target, as EventBridge renders it from the target's `Input`
 * (constant JSON), `InputPath` (a part of the event) or `InputTransformer` (variables read by
 * JSON path, filled into a template); with none of them, the whole event.
 */

export interface TargetInputSettings {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: {
    readonly InputPathsMap?: Readonly<Record<string, string>>;
    readonly InputTemplate: string;
  };
}

export interface RuleIdentity {
  readonly name: string;
  readonly arn: string;
}

/**
 * The target's input text for `event`. In a transformer's template a variable inside double
 * quotes takes the value's text (JSON-escaped, so the result stays valid JSON), outside quotes
 * the value as JSON; a path the event lacks gives an empty string inside quotes and null outside.
 */
export function renderTargetInput(
  settings: TargetInputSettings,
  event: Record<string, unknown>,
  rule: RuleIdentity,
): string {
  if (settings.Input !== undefined) return settings.Input;
  if (settings.InputPath !== undefined) return JSON.stringify(readJsonPath(event, settings.InputPath) ?? null);
  const transformer = settings.InputTransformer;
  if (!transformer) return JSON.stringify(event);
  const variables = new Map<string, unknown>([
    ['aws.events.rule-arn', rule.arn],
    ['aws.events.rule-name', rule.name],
    ['aws.events.event.ingestion-time', event.time],
    ['aws.events.event', event],
    ['aws.events.event.json', event],
  ]);
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {}))
    variables.set(name, readJsonPath(event, path));
  return fillTemplate(transformer.InputTemplate, variables);
}

/** A JSON path in the dot notation EventBridge supports: `$`, `$.detail.object.key`, `$.resources[0]`. */
export function readJsonPath(document: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSON path must start with $, received "${path}"`);
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]/g) ?? [];
  if (steps.join('') !== path.slice(1)) {
    throw new Error(`JSON path "${path}" uses syntax not emulated locally (dot notation and [index] only)`);
  }
  let node: unknown = document;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    node = step.startsWith('[')
      ? (node as unknown[])[Number(step.slice(1, -1))]
      : (node as Record<string, unknown>)[step.slice(1)];
  }
  return node;
}

/**
 * Fills `<name>` placeholders. A JSON template (one starting with { or [) gets a value's text inside
 * a string and the value as JSON outside one; a text template gets each value's text.
 */
function fillTemplate(template: string, variables: ReadonlyMap<string, unknown>): string {
  const json = /^\s*[[{]/.test(template);
  let inString = false;
  let out = '';
  for (let at = 0; at < template.length; at++) {
    const char = template[at];
    if (char === '"' && template[at - 1] !== '\\') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(at)) : null;
    if (!placeholder || !variables.has(placeholder[1])) {
      out += char;
      continue;
    }
    const value = variables.get(placeholder[1]);
    if (!json) out += typeof value === 'string' ? value : JSON.stringify(value ?? null);
    else if (inString) out += value === undefined ? '' : escapeInString(value);
    else out += JSON.stringify(value ?? null);
    at += placeholder[0].length - 1;
  }
  return out;
}

function escapeInString(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return JSON.stringify(text).slice(1, -1);
}
