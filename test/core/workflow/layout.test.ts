import {
  candidateArtifactKey,
  driftLatestKey,
  driftReportHtmlKey,
  driftReportJsonKey,
  runRecordKey,
  runsPrefix,
  scoreInputPrefix,
  scoreOutputPrefix,
  snapshotKey,
  snapshotsPrefix,
} from '../../../core/workflow/layout';

// Keys are a contract with data already in deployed buckets: a change here strands old objects.
describe('layout', () => {
  it('keeps drift reports in a folder per check with latest.json beside them', () => {
    expect(driftReportJsonKey('churn', '20261129T100000Z')).toBe('drift/churn/20261129T100000Z/report.json');
    expect(driftReportHtmlKey('churn', '20261129T100000Z')).toBe('drift/churn/20261129T100000Z/report.html');
    expect(driftLatestKey('churn')).toBe('drift/churn/latest.json');
  });

  it('keeps run records and candidates under runs/<model>/<runId>/', () => {
    expect(runsPrefix('churn')).toBe('runs/churn/');
    expect(runRecordKey('churn', 'r1')).toBe('runs/churn/r1/record.json');
    expect(candidateArtifactKey('churn', 'r1')).toBe('runs/churn/r1/candidate/model.json');
  });

  it('keeps snapshots and the scoring job folders under the model in the curated zone', () => {
    expect(snapshotsPrefix('churn')).toBe('churn/snapshots/');
    expect(snapshotKey('churn', 'abc', '.csv')).toBe('churn/snapshots/abc.csv');
    expect(scoreInputPrefix('churn')).toBe('churn/score/input/');
    expect(scoreOutputPrefix('churn')).toBe('churn/score/output/');
  });
});
