import { createHash } from 'node:crypto';

/**
 * Where everything lives in the data lake. One definition for the CDK app (IAM scoping,
 * event filters), the handlers, the trainer and the local platform.
 *
 * Zones are separate buckets; the environment names them (see `ZONE_ENV`).
 *   raw:        <model>/<file>.csv|.parquet            data as uploaded; uploads here trigger retraining
 *   curated:    <model>/snapshots/<sha256>.<ext>       validated, content-addressed training snapshots
 *               <model>/snapshots/uploads/<id>.json    which snapshot an upload (raw key + ETag) became
 *               <model>/manifests/<sha256>.json        training manifests: every input of a window run
 *   artifacts:  registry/<model>/...                   the model registry (versions, aliases, history)
 *               runs/<model>/<runId>/...               per-run candidate artifacts and run records
 *               triggers/<model>/pending|manifests/... the retrain trigger's pending markers and manifests
 *               imports/<model>/<uploadId>/model.json   externally produced artifacts `mlops register` uploads
 *   monitoring: capture/<model>/dt=YYYY-MM-DD/hour=HH/<id>.jsonl   sampled inference traffic
 *               drift/<model>/<timestamp>/report.json|report.html  drift reports
 */
export type Zone = 'raw' | 'curated' | 'artifacts' | 'monitoring';

export const ZONES: readonly Zone[] = ['raw', 'curated', 'artifacts', 'monitoring'];

/** Environment variable that carries each zone's bucket name into handlers and the trainer. */
export const ZONE_ENV: Readonly<Record<Zone, string>> = {
  raw: 'MLOPS_RAW_BUCKET',
  curated: 'MLOPS_CURATED_BUCKET',
  artifacts: 'MLOPS_ARTIFACTS_BUCKET',
  monitoring: 'MLOPS_MONITORING_BUCKET',
};

/** Files in the raw zone that count as training data; anything else is ignored with a log line. */
export const DATA_FILE_EXTENSIONS: readonly string[] = ['.csv', '.tsv', '.txt', '.parquet'];

export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;

export const rawPrefix = (model: string): string => `${model}/`;
/** A model's folder in the curated zone: snapshots, and the batch scoring job's input and output. */
export const curatedPrefix = (model: string): string => `${model}/`;
export const snapshotsPrefix = (model: string): string => `${curatedPrefix(model)}snapshots/`;
export const snapshotKey = (model: string, sha256: string, extension: string): string =>
  `${snapshotsPrefix(model)}${sha256}${extension}`;
/**
 * Where validate notes the snapshot an upload became, named by the upload's key and ETag: a later
 * window run finds it with one GET instead of reading and hashing the upload again.
 */
export const uploadSnapshotRefKey = (model: string, rawKey: string, etag: string): string =>
  `${snapshotsPrefix(model)}uploads/${createHash('sha256')
    .update(`${rawKey}\n${etag.replace(/"/g, '')}`)
    .digest('hex')}.json`;
export const trainingManifestsPrefix = (model: string): string => `${curatedPrefix(model)}manifests/`;
/** Content-addressed like the snapshots it lists: the same inputs give the same key and the same data hash. */
export const trainingManifestKey = (model: string, sha256: string): string =>
  `${trainingManifestsPrefix(model)}${sha256}.json`;
/** The batch scoring job reads every file under this prefix of the curated zone... */
export const scoreInputPrefix = (model: string): string => `${curatedPrefix(model)}score/input/`;
/** ...and writes scores, error files and shard manifests under this one (core/score/shards.ts). */
export const scoreOutputPrefix = (model: string): string => `${curatedPrefix(model)}score/output/`;
export const registryPrefix = (model: string): string => `registry/${model}/`;
export const runsPrefix = (model: string): string => `runs/${model}/`;
export const runPrefix = (model: string, runId: string): string => `${runsPrefix(model)}${runId}/`;
export const runRecordKey = (model: string, runId: string): string => `${runPrefix(model, runId)}record.json`;
export const candidateArtifactKey = (model: string, runId: string): string =>
  `${runPrefix(model, runId)}candidate/model.json`;
/** The retrain trigger's own objects (pending markers, manifests); no other role writes here. */
export const triggerPrefix = (model: string): string => `triggers/${model}/`;
export const triggerManifestKey = (model: string, executionName: string): string =>
  `${triggerPrefix(model)}manifests/${executionName}.json`;
/**
 * Externally produced artifacts waiting for (or past) their gated registration: `mlops register`
 * uploads here and starts the workflow with the key; the adopt step reads from here only.
 */
export const importsPrefix = (model: string): string => `imports/${model}/`;
export const importKey = (model: string, uploadId: string): string => `${importsPrefix(model)}${uploadId}/model.json`;
export const capturePrefix = (model: string): string => `capture/${model}/`;
export const driftReportPrefix = (model: string): string => `drift/${model}/`;
/** The pointer to a model's newest drift report. */
export const driftLatestKey = (model: string): string => `${driftReportPrefix(model)}latest.json`;
export const driftReportFolder = (model: string, reportId: string): string => `${driftReportPrefix(model)}${reportId}/`;
export const driftReportJsonKey = (model: string, reportId: string): string =>
  `${driftReportFolder(model, reportId)}report.json`;
export const driftReportHtmlKey = (model: string, reportId: string): string =>
  `${driftReportFolder(model, reportId)}report.html`;

/** Capture objects are partitioned by hour so a drift window reads only the hours it needs. */
export function captureKey(model: string, at: Date, id: string): string {
  const iso = at.toISOString();
  return `${capturePrefix(model)}dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/${id}.jsonl`;
}

/** The model a raw-zone key belongs to, or null when the key is not under a model prefix. */
export function modelOfRawKey(key: string): string | null {
  const slash = key.indexOf('/');
  if (slash <= 0) return null;
  const model = key.slice(0, slash);
  return MODEL_NAME_PATTERN.test(model) ? model : null;
}

/**
 * The key S3's own event notifications would mean by `key` ("red+flower.jpg" for "red flower.jpg":
 * form-encoded), or null when decoding changes nothing or is not valid. S3 events reaching us
 * through EventBridge are taken to carry the raw key, but no AWS document states it; a key that
 * does not exist as given is looked up once more in its decoded form (see validate).
 */
export function formDecodedKey(key: string): string | null {
  try {
    const decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    return decoded === key ? null : decoded;
  } catch {
    return null;
  }
}
