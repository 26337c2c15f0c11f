import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { FeatureViewConfig } from '../../core/config/feature-view-schema';
import type { ModelConfig } from '../../core/config/schema';
import { formatCsv } from '../../core/data/csv';
import { readTableBytes, sha256Hex } from '../../core/data/read';
import { readViewHistory, type ViewHistory } from '../../core/feature-views/view-history';
import { type ViewTrainingSet, viewTrainingSet } from '../../core/feature-views/view-training-set';
import { FEATURE_VIEW_FILES_IN_RECORD, type featureViewInputsSchema } from '../../core/runs/run-record';
import type { ObjectStore } from '../../core/storage/object-store';

/**
 * Validate's share of feature views (issue 15): a model with a `featureView` trains on its uploads
 * joined with the view's history at each label's time (core/feature-views/view-training-set.ts),
 * so the snapshot, its hash, the profile and the schema checks are of the joined training set.
 * The view's history is read once per run from the curated zone, at most training.maxDataMiB of
 * view files in all.
 */

export interface JoinedUpload {
  /** The training set as CSV: its snapshot's bytes. */
  readonly body: Uint8Array;
  readonly sha256: string;
  readonly set: ViewTrainingSet;
}

export class FeatureViewJoin {
  private constructor(
    readonly view: FeatureViewConfig,
    readonly history: ViewHistory,
    private readonly model: ModelConfig,
  ) {}

  static async read(curated: ObjectStore, view: FeatureViewConfig, model: ModelConfig): Promise<FeatureViewJoin> {
    const history = await readViewHistory(curated, view, {
      maxBytes: Math.floor(model.training.maxDataMiB * 1024 * 1024),
      capName: `training.maxDataMiB of model ${model.name}`,
      // An upload with every feature trains before the view has history (quick start, first deploy).
      allowEmpty: true,
    });
    return new FeatureViewJoin(view, history, model);
  }

  get labelTimeColumn(): string {
    return this.model.labelTimeColumn ?? this.view.eventTimeColumn;
  }

  /**
   * Names the view history an upload's snapshot was joined with: a snapshot made with other view
   * files is not reused (see training-window.ts), since a late view row can change a past join.
   */
  get fingerprint(): string {
    const files = this.history.files.map((file) => `${file.key}\n${file.etag ?? ''}`).join('\n');
    return createHash('sha256').update(`${this.view.name}\n${this.labelTimeColumn}\n${files}`).digest('hex');
  }

  /** The upload's bytes joined with the view; read as text, so every value is written back as it was spelled. */
  async join(body: Uint8Array, source: string): Promise<JoinedUpload> {
    const upload = await readTableBytes(body, source);
    const set = viewTrainingSet(upload, this.history, this.view, {
      labelTimeColumn: this.model.labelTimeColumn,
      source,
    });
    const bytes = new TextEncoder().encode(formatCsv(set.table));
    return { body: bytes, sha256: sha256Hex(bytes), set };
  }

  /** The run record's lineage of the join of the run's data file. */
  lineage(set: ViewTrainingSet): z.input<typeof featureViewInputsSchema> {
    return {
      view: this.view.name,
      versions: [...this.history.versions],
      files: this.history.files.slice(0, FEATURE_VIEW_FILES_IN_RECORD).map((file) => ({
        key: file.key,
        ...(file.etag === undefined ? {} : { etag: file.etag }),
        version: file.version,
      })),
      fileCount: this.history.files.length,
      labelTimeColumn: this.labelTimeColumn,
      joinedColumns: [...set.joinedColumns],
      keptFromUpload: [...set.keptFromUpload],
      unmatchedRows: set.unmatchedRows,
      expiredRows: set.expiredRows,
    };
  }
}
