import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { churnOnly, everyVariant } from './helpers';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}
interface Finding {
  readonly rule: string;
  readonly path: string;
}

const covers = (acknowledgement: Acknowledgement, finding: Finding) =>
  acknowledgement.id === finding.rule &&
  (finding.path === acknowledgement.path || finding.path.startsWith(`${acknowledgement.path}/`));

/** Synthesizes with AwsSolutions while recording acknowledgements instead of applying them. */
function findingsAndAcknowledgements(): { findings: Finding[]; acknowledgements: Acknowledgement[] } {
  const acknowledgements: Acknowledgement[] = [];
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
    this: Validations,
    ...rules
  ) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules) acknowledgements.push({ path: scope.node.path, id: rule.id, reason: rule.reason });
  });
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-nag-'));
  try {
    const { app } = buildApp(everyVariant, { bundle: false, outdir, cloudFormationValidation: false });
    expect(() => app.synth()).toThrow(/AwsSolutions/);
  } finally {
    spy.mockRestore();
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      pluginName: string;
      violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  const findings = report.pluginReports
    .filter((plugin) => plugin.pluginName === 'AwsSolutions')
    .flatMap((plugin) =>
      plugin.violations.flatMap((violation) =>
        violation.violatingConstructs.map((construct) => ({ rule: violation.ruleName, path: construct.constructPath })),
      ),
    );
  return { findings, acknowledgements: acknowledgements.filter((ack) => ack.id.startsWith('AwsSolutions-')) };
}

test('the default deployment passes cdk-nag AwsSolutions with every finding acknowledged', () => {
  // given the churn-only config with the AwsSolutions plugin, when synthesized, then no finding is left
  const { app } = buildApp(churnOnly, {
    bundle: false,
    cloudFormationValidation: false,
    outdir: mkdtempSync(join(tmpdir(), 'mlops-nag-')),
  });
  expect(() => app.synth()).not.toThrow();
});

describe('acknowledgements (every variant of the config)', () => {
  let findings: Finding[];
  let acknowledgements: Acknowledgement[];
  beforeAll(() => {
    ({ findings, acknowledgements } = findingsAndAcknowledgements());
  });

  test('every finding is acknowledged on the construct it concerns', () => {
    expect(findings.filter((finding) => !acknowledgements.some((ack) => covers(ack, finding)))).toEqual([]);
  });

  test('every acknowledgement covers a real finding', () => {
    expect(acknowledgements.filter((ack) => !findings.some((finding) => covers(ack, finding)))).toEqual([]);
  });

  test('every acknowledgement names one finding and gives a specific reason', () => {
    for (const ack of acknowledgements) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+\[.+\]$/);
      expect(ack.reason.length).toBeGreaterThan(40);
    }
  });

  test('no acknowledgement sits on a whole stack', () => {
    expect(acknowledgements.filter((ack) => !ack.path.includes('/'))).toEqual([]);
  });
});
