/**
 * Where the time of one `mlops train` goes, phase by phase, for `MLOPS_TIMINGS=1` and the bench.
 * Off unless a recorder is started: each instrumented function then costs one null check.
 * Phases nest (a metric computed while training); time is charged to the innermost one only,
 * so the phases add up to the wall time they cover.
 */
export const PHASES = ['start', 'parse', 'schema', 'pipeline', 'train', 'profile', 'metrics', 'write'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseRecorder {
  /** Milliseconds charged to each phase so far (exclusive of nested phases). */
  readonly totals: Record<Phase, number>;
}

interface ActiveRecorder extends PhaseRecorder {
  readonly totals: Record<Phase, number>;
  readonly stack: Phase[];
  since: number;
}

let active: ActiveRecorder | undefined;

function zeroTotals(): Record<Phase, number> {
  return Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Record<Phase, number>;
}

/** Starts recording (replacing any recorder already running) and returns the recorder. */
export function startPhaseTimings(): PhaseRecorder {
  active = { totals: zeroTotals(), stack: [], since: performance.now() };
  return active;
}

/** Stops recording; later `timed` calls run untimed. */
export function stopPhaseTimings(): void {
  active = undefined;
}

/** Adds time measured elsewhere (e.g. process start-up before any code ran) to a phase. */
export function addPhaseTime(phase: Phase, milliseconds: number): void {
  if (active) active.totals[phase] += milliseconds;
}

/** Runs `work`, charging its time (minus nested phases) to `phase` when a recorder is running. */
export function timed<T>(phase: Phase, work: () => T): T {
  const recorder = active;
  if (!recorder) return work();
  const now = performance.now();
  const outer = recorder.stack.at(-1);
  if (outer !== undefined) recorder.totals[outer] += now - recorder.since;
  recorder.stack.push(phase);
  recorder.since = now;
  try {
    return work();
  } finally {
    const end = performance.now();
    recorder.totals[phase] += end - recorder.since;
    recorder.stack.pop();
    recorder.since = end;
  }
}

/**
 * Charges the wall time of an asynchronous top-level step (reading a file, writing the artifact)
 * to `phase`. Only for steps that run no `timed` phase inside: those would be counted twice.
 */
export async function timedAsync<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
  if (!active) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    addPhaseTime(phase, performance.now() - started);
  }
}

/** One line per phase, e.g. `timing parse 812 ms`, then the total; for stderr. */
export function formatPhaseTimings(totals: Readonly<Record<Phase, number>>): string {
  const sum = PHASES.reduce((total, phase) => total + totals[phase], 0);
  const lines = PHASES.map((phase) => `timing ${phase} ${Math.round(totals[phase])} ms\n`);
  return `${lines.join('')}timing total ${Math.round(sum)} ms\n`;
}

/** Reads the lines formatPhaseTimings wrote (the bench parses the CLI's stderr with it). */
export function parsePhaseTimings(text: string): Partial<Record<Phase | 'total', number>> {
  const totals: Partial<Record<Phase | 'total', number>> = {};
  for (const match of text.matchAll(/^timing (\w+) (\d+) ms$/gm))
    totals[match[1] as Phase | 'total'] = Number(match[2]);
  return totals;
}
