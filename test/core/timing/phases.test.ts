import {
  formatPhaseTimings,
  PHASES,
  parsePhaseTimings,
  startPhaseTimings,
  stopPhaseTimings,
  timed,
  timedAsync,
} from '../../../core/timing/phases';

/** Busy-waits so a phase takes measurable time without timers. */
function spin(milliseconds: number): void {
  const until = performance.now() + milliseconds;
  while (performance.now() < until) {}
}

afterEach(() => stopPhaseTimings());

describe('phase timings', () => {
  it('charges a nested phase to the inner phase only, so the phases add up to the wall time', () => {
    const recorder = startPhaseTimings();
    const started = performance.now();
    timed('train', () => {
      spin(20);
      timed('metrics', () => spin(30));
      spin(20);
    });
    const wall = performance.now() - started;
    expect(recorder.totals.metrics).toBeGreaterThanOrEqual(30);
    expect(recorder.totals.train).toBeGreaterThanOrEqual(40);
    expect(recorder.totals.train).toBeLessThan(wall - 30 + 1);
    expect(recorder.totals.train + recorder.totals.metrics).toBeLessThanOrEqual(wall + 1);
  });

  it('records nothing and returns the work result when no recorder was started', async () => {
    const recorder = startPhaseTimings();
    stopPhaseTimings();
    expect(timed('schema', () => 7)).toBe(7);
    expect(await timedAsync('parse', async () => 8)).toBe(8);
    expect(recorder.totals.schema).toBe(0);
    expect(recorder.totals.parse).toBe(0);
  });

  it('reads back every phase it prints, plus the total', () => {
    const totals = Object.fromEntries(PHASES.map((phase, i) => [phase, i * 10.4])) as Record<
      (typeof PHASES)[number],
      number
    >;
    const parsed = parsePhaseTimings(`read 5 rows\n${formatPhaseTimings(totals)}done\n`);
    expect(parsed).toEqual({
      ...Object.fromEntries(PHASES.map((phase, i) => [phase, Math.round(i * 10.4)])),
      total: 291,
    });
  });
});
