import type { SchemaFinding } from '../drift/report';
import { type ViewVersionRecord, viewVersionKey } from './versions';

/**
 * The alert of a new view version with schema findings (issue 15: "a new column in a view file is a
 * schema finding like any other"): the materializer publishes it to the feature store's alert topic
 * once, when it records the version, as the drift monitor publishes its schema findings.
 */

/** The alert topic's ARN in the materializer's and the backfill job's environment (the CDK app sets it). */
export const FEATURE_ALERT_TOPIC_ENV = 'MLOPS_FEATURE_ALERT_TOPIC_ARN';
/** Count of a new version's schema findings, in the drift monitor's namespace, dimension exactly `View`. */
export const VIEW_SCHEMA_FINDINGS_METRIC = 'ViewSchemaFindings';
export const VIEW_DIMENSION = 'View';

export interface ViewVersionAlert {
  readonly subject: string;
  readonly message: string;
}

export interface ViewVersionAlertInputs {
  readonly view: string;
  readonly version: string;
  /** Absent for a view's first version (which has no findings, so no alert). */
  readonly previousVersion?: string;
  /** The file that first carried the version, as `s3://bucket/key`. */
  readonly file: string;
  readonly schemaFindings: readonly SchemaFinding[];
}

const columnsOf = (findings: readonly SchemaFinding[], kind: SchemaFinding['kind']) =>
  findings.filter((finding) => finding.kind === kind).map((finding) => finding.column);

const listed = (columns: readonly string[]) => (columns.length > 0 ? columns.join(', ') : 'none');

/** SNS subject (under 100 characters) and a short plain-text body, in the drift alert's style. */
export function viewVersionAlert(inputs: ViewVersionAlertInputs): ViewVersionAlert {
  const added = columnsOf(inputs.schemaFindings, 'newColumn');
  const removed = columnsOf(inputs.schemaFindings, 'missingColumn');
  const counts = [
    ...(added.length > 0 ? [`${added.length} new`] : []),
    ...(removed.length > 0 ? [`${removed.length} removed`] : []),
  ];
  const change = counts.length > 0 ? `${counts.join(', ')} column(s)` : 'schema change';
  const subject = `Schema change in feature view ${inputs.view}: ${change}`;
  const lines = [
    `Feature view ${inputs.view} has a new version ${inputs.version} (previous version ${inputs.previousVersion ?? 'none'}), first carried by ${inputs.file}.`,
    `New columns: ${listed(added)}. Removed columns: ${listed(removed)}.`,
    '',
    'Schema findings:',
    ...inputs.schemaFindings.map((finding) => `  - [${finding.severity}] ${finding.message}`),
    '',
    'What to do:',
  ];
  if (added.length > 0) {
    lines.push(
      '  - Models reading this view are unaffected until retrained: serving reads only the features a model was trained on. To use the new column(s), retrain the model (its training joins the view).',
    );
  }
  if (removed.length > 0) {
    lines.push(
      "  - A model trained on a removed column gets it as missing (imputed) for entities whose newest row is of this version: restore the column in the view's files, or retrain without it.",
    );
  }
  lines.push('', `Version record: ${viewVersionKey(inputs.view, inputs.version)} in the curated zone.`);
  return { subject: subject.slice(0, 99), message: `${lines.join('\n')}\n` };
}

/** Where a new version's alert and metric go; the materializer function and the backfill job each build one. */
export interface ViewVersionAnnouncer {
  /** Publishes to the alert topic; may throw (the announcement logs it and goes on). */
  readonly publish: (alert: ViewVersionAlert) => Promise<unknown>;
  /** The ViewSchemaFindings metric (dimension View), when the runtime has one (the function's EMF). */
  readonly countFindings?: (view: string, findings: number) => void;
  readonly log: (level: 'info' | 'warn', message: string, details?: Record<string, unknown>) => void;
}

export type AnnounceOutcome = 'no-findings' | 'published' | 'failed';

/**
 * Announces a version this run recorded: one alert and one metric when it has schema findings.
 * Never throws: the version record is the durable truth, so a topic that cannot be reached must
 * not fail (and retry) the materialization, which would not announce again anyway (the record exists).
 */
export async function announceNewVersion(
  record: ViewVersionRecord,
  file: string,
  announcer: ViewVersionAnnouncer,
): Promise<AnnounceOutcome> {
  if (record.schemaFindings.length === 0) return 'no-findings';
  const alert = viewVersionAlert({
    view: record.view,
    version: record.version,
    ...(record.previousVersion ? { previousVersion: record.previousVersion } : {}),
    file,
    schemaFindings: record.schemaFindings,
  });
  try {
    announcer.countFindings?.(record.view, record.schemaFindings.length);
    const published = await announcer.publish(alert);
    announcer.log('info', 'feature view alert published', {
      view: record.view,
      version: record.version,
      subject: alert.subject,
      ...(typeof published === 'string' ? { messageId: published } : {}),
    });
    return 'published';
  } catch (error) {
    announcer.log('warn', 'feature view alert not published; the version record stands', {
      view: record.view,
      version: record.version,
      subject: alert.subject,
      error: (error as Error).message,
    });
    return 'failed';
  }
}
