// Over 400 lines on purpose: one class whose invariants (its doc below) hold only because every registry write goes through it.
import { createHash } from 'node:crypto';
import { type ModelArtifact, parseArtifact } from '../artifact/format';
import {
  type ConditionalUpdateOptions,
  jitteredBackoff,
  type UpdateDecision,
  updateJsonObject,
} from '../storage/conditional-update';
import { readJson, writeJson } from '../storage/json';
import { isPreconditionFailed, type ObjectStore, toBytes } from '../storage/object-store';
import { MODEL_NAME_PATTERN } from '../workflow/layout';
import { aliasMovedEvent, type EventSink, NO_EVENTS, REGISTRY_EVENT_SOURCE, type RegistryDetailType } from './events';
import {
  aliasesPrefix,
  aliasHistoryKey,
  aliasHistoryPrefix,
  aliasKey,
  approvalKey,
  artifactKey,
  parseVersionKey,
  versionIndexKey,
  versionMetadataKey,
  versionsPrefix,
} from './keys';
import {
  ALIAS_NAME_PATTERN,
  type AliasMoveKind,
  type AliasRecord,
  type ApprovalRecord,
  type ApprovalStatus,
  aliasRecordSchema,
  approvalRecordSchema,
  type Lineage,
  lineageSchema,
  type ModelVersion,
  PRODUCTION_ALIAS,
  type VersionMetadata,
  versionMetadataSchema,
} from './records';

export type RegistryErrorCode =
  | 'invalid-name'
  | 'invalid-lineage'
  | 'version-not-found'
  | 'version-rejected'
  | 'no-rollback-target'
  /** The alias no longer points to the version the caller decided from (compare-and-swap lost). */
  | 'superseded'
  /** A stored artifact does not match the SHA-256 and size its version recorded. */
  | 'integrity'
  | 'contention';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ModelRegistryOptions {
  /** The artifacts zone. */
  readonly store: ObjectStore;
  /** @default - events are dropped */
  readonly events?: EventSink;
  /** @default - the system clock */
  readonly clock?: () => Date;
  /** Conditional-write attempts before giving up under contention. @default 64 */
  readonly maxAttempts?: number;
  /** Wait after a lost alias or approval write. @default - random 0..min(100, 2^attempt) ms (full jitter) */
  readonly backoff?: (attempt: number) => Promise<void>;
}

export interface RegisterVersionInput {
  readonly model: string;
  /** The artifact document's bytes, stored as they are. */
  readonly artifact: Uint8Array | string;
  readonly lineage: Lineage;
  /** @default 'pending' */
  readonly approval?: ApprovalStatus;
  readonly tags?: Readonly<Record<string, string>>;
  readonly actor?: string;
}

export interface MoveOptions {
  readonly reason?: string;
  readonly actor?: string;
  /** The retraining run whose decision this is; kept in the alias history. */
  readonly runId?: string;
}

export interface PromoteOptions extends MoveOptions {
  /**
   * Compare-and-swap on what the caller decided from: the alias moves only while it still points
   * to this version (null: while it has no version yet); otherwise RegistryError 'superseded'.
   * A gate passes its champion here, so a candidate never replaces a version it was not compared
   * with. @default - whatever the alias points to (a move by hand)
   */
  readonly expectedVersion?: number | null;
}

export interface AliasMoveResult {
  /** False when the alias already pointed to the version (nothing written, no event). */
  readonly moved: boolean;
  readonly record: AliasRecord;
}

export interface RollbackOptions extends MoveOptions {
  /** Version to roll back to. @default - the production version before the current one */
  readonly to?: number;
  /**
   * Compare-and-swap on what the caller decided from: roll back only while production still
   * points to this version; otherwise RegistryError 'superseded' (a monitor that measured version
   * n must not roll back a version promoted since). @default - the version production points to now
   */
  readonly expectedVersion?: number;
}

export interface AliasedVersion {
  readonly alias: AliasRecord;
  readonly version: number;
  readonly approval: ApprovalStatus;
  readonly artifact: ModelArtifact;
  /** SHA-256 of the artifact's bytes, verified against the registration. */
  readonly artifactSha256: string;
  /** s3://bucket/key of the artifact, for messages. */
  readonly source: string;
}

export interface ApprovalResult {
  readonly approval: ApprovalRecord;
  /** Set when rejecting the production version rolled production back. */
  readonly rolledBack?: AliasRecord;
}

const EMPTY_APPROVAL: ApprovalRecord = { status: 'pending', history: [] };

/**
 * The model registry: pure rules over an ObjectStore (the artifacts zone, registry/<model>/).
 *
 * - Versions are immutable integers. register() claims version n by writing its artifact with
 *   If-None-Match: *, then commits the metadata the same way; a loser moves on to n+1. The
 *   artifact is written first, so a visible version (one with metadata) always has its artifact.
 *   A registration that dies between the two leaves number n unused, never reused.
 * - Aliases move by compare-and-swap on the alias object's ETag (If-Match; If-None-Match for the
 *   first move), re-reading on loss, so concurrent moves serialise and none is lost. Each move
 *   carries a gap-free sequence and is appended to the alias history (one object per move).
 * - Approval status lives in its own mutable object beside the immutable metadata.
 */
export class ModelRegistry {
  private readonly store: ObjectStore;
  private readonly events: EventSink;
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;

  constructor(options: ModelRegistryOptions) {
    this.store = options.store;
    this.events = options.events ?? NO_EVENTS;
    this.clock = options.clock ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? 64;
    this.backoff = options.backoff ?? jitteredBackoff;
  }

  async register(input: RegisterVersionInput): Promise<ModelVersion> {
    assertModelName(input.model);
    const lineage = lineageSchema.safeParse(input.lineage);
    if (!lineage.success) {
      throw new RegistryError(
        'invalid-lineage',
        `lineage for model ${input.model} is invalid: ${lineage.error.message}`,
      );
    }
    const artifact = toBytes(input.artifact);
    let version = (await this.highestVersionNumber(input.model)) + 1;
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1, version += 1) {
      const claimed = await this.putIfAbsent(artifactKey(input.model, version), artifact, 'application/json');
      if (!claimed) continue;
      const metadata: VersionMetadata = {
        model: input.model,
        version,
        createdAt: this.clock().toISOString(),
        artifactKey: artifactKey(input.model, version),
        artifactSha256: createHash('sha256').update(artifact).digest('hex'),
        artifactBytes: artifact.byteLength,
        lineage: lineage.data,
        tags: { ...input.tags },
      };
      const approval: ApprovalRecord = {
        status: input.approval ?? 'pending',
        history: [{ status: input.approval ?? 'pending', at: metadata.createdAt, actor: input.actor }],
      };
      // Approval before metadata: a visible version always has its approval object too.
      await writeJson(this.store, approvalKey(input.model, version), approval, { ifNoneMatch: '*' });
      await writeJson(this.store, versionMetadataKey(input.model, version), metadata, { ifNoneMatch: '*' });
      // After the metadata, so an index entry always names a visible version (the console lists it).
      await this.putIfAbsent(versionIndexKey(input.model, version), new Uint8Array(), 'application/octet-stream');
      await this.publish('ModelVersionRegistered', {
        model: input.model,
        version,
        runId: metadata.lineage.runId,
        ...(metadata.lineage.dataSha256 ? { dataSha256: metadata.lineage.dataSha256 } : {}),
        ...(metadata.lineage.imported ? { imported: metadata.lineage.imported } : {}),
        codeVersion: metadata.lineage.codeVersion,
        metrics: metadata.lineage.metrics,
        artifactKey: metadata.artifactKey,
        approval: approval.status,
        createdAt: metadata.createdAt,
      });
      return { ...metadata, approval };
    }
    throw this.contention(`registering a version of ${input.model}`);
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | null> {
    assertModelName(model);
    const metadata = await readJson(this.store, versionMetadataKey(model, version), versionMetadataSchema);
    if (!metadata) return null;
    return { ...metadata.value, approval: await this.getApproval(model, version) };
  }

  /**
   * The artifact of a committed version, verified against the SHA-256 and size its metadata
   * recorded at registration: versions are immutable, so any difference is corruption or tampering
   * (RegistryError 'integrity'), never a newer model. Null when the version is not registered.
   */
  async getArtifact(model: string, version: number): Promise<Uint8Array | null> {
    assertModelName(model);
    const metadata = await readJson(this.store, versionMetadataKey(model, version), versionMetadataSchema);
    if (!metadata) return null;
    const object = await this.store.get(metadata.value.artifactKey);
    if (!object) {
      throw new RegistryError(
        'integrity',
        `version ${version} of ${model} is registered but its artifact s3://${this.store.bucket}/${metadata.value.artifactKey} is missing; ` +
          "restore it from the bucket's object versions or roll production back to another version",
      );
    }
    verifyArtifact(object.body, metadata.value, `s3://${this.store.bucket}/${metadata.value.artifactKey}`);
    return object.body;
  }

  /** Models with at least one registered version, sorted by name. */
  async listModels(): Promise<string[]> {
    const models = new Set<string>();
    for (const item of await this.store.list('registry/')) {
      const parsed = parseVersionKey(item.key);
      if (parsed?.file === 'version.json') models.add(parsed.model);
    }
    return [...models].sort();
  }

  /** Committed versions, oldest first. */
  async listVersions(model: string): Promise<ModelVersion[]> {
    const numbers = await this.committedVersionNumbers(model);
    const versions = await Promise.all(numbers.map((version) => this.getVersion(model, version)));
    return versions.filter((version): version is ModelVersion => version !== null);
  }

  /**
   * The version an alias points to, ready to use: the alias record, the version's approval and its
   * parsed artifact (bytes verified against the registered SHA-256). Null when the alias was never
   * set. The one way serving, evaluation, scoring and drift load "the production model".
   */
  async loadAliased(model: string, alias = PRODUCTION_ALIAS): Promise<AliasedVersion | null> {
    const record = await this.resolveAlias(model, alias);
    return record && this.loadAliasTarget(record);
  }

  /** As loadAliased, for an alias record the caller already read (serving compares it first). */
  async loadAliasTarget(record: AliasRecord): Promise<AliasedVersion> {
    const { model, alias } = record;
    const [bytes, approval] = await Promise.all([
      this.getArtifact(model, record.version),
      this.getApproval(model, record.version),
    ]);
    if (!bytes) {
      throw new RegistryError(
        'version-not-found',
        `${alias} of ${model} points to version ${record.version}, which is not registered; ` +
          `move ${alias} to a registered version (mlops rollback ${model} --to <version>)`,
      );
    }
    const source = `s3://${this.store.bucket}/${artifactKey(model, record.version)}`;
    return {
      alias: record,
      version: record.version,
      approval: approval.status,
      artifact: parseArtifact(new TextDecoder().decode(bytes), `version ${record.version} of ${model} (${source})`),
      artifactSha256: createHash('sha256').update(bytes).digest('hex'),
      source,
    };
  }

  async getApproval(model: string, version: number): Promise<ApprovalRecord> {
    return (await readJson(this.store, approvalKey(model, version), approvalRecordSchema))?.value ?? EMPTY_APPROVAL;
  }

  /**
   * Changes a version's approval status. Rejecting the version production points to first rolls
   * production back to the previous acceptable version (SageMaker leaves it serving); when there
   * is none, nothing changes and the error says what to do.
   */
  async setApproval(
    model: string,
    version: number,
    status: ApprovalStatus,
    options: MoveOptions = {},
  ): Promise<ApprovalResult> {
    await this.requireVersion(model, version);
    let rolledBack: AliasRecord | undefined;
    if (status === 'rejected') {
      // Production leaves the version before the rejection is written, so a crash in between leaves
      // an unrejected version out of service, never a rejected one in service.
      const production = await this.resolveAlias(model, PRODUCTION_ALIAS);
      if (production?.version === version) {
        if ((await this.previousProductionVersion(model, [version])) === null) {
          throw new RegistryError(
            'no-rollback-target',
            `cannot reject version ${version} of ${model}: production serves it and no earlier non-rejected version ` +
              'was in production; promote another version first, then reject this one',
          );
        }
        rolledBack = await this.withdraw(model, PRODUCTION_ALIAS, version, {
          ...options,
          reason: options.reason ?? `version ${version} rejected`,
        });
      }
    }
    // The approval is written before production is looked at again, and a promoter looks at the
    // approval after its alias write (see moveAlias): whichever comes second sees the other, so a
    // version rejected during its own promotion does not stay in production.
    const approval = await this.updateApproval(model, version, status, options);
    if (status === 'rejected') {
      rolledBack =
        (await this.withdrawRejected(model, PRODUCTION_ALIAS, version, {
          ...options,
          reason: options.reason ?? `version ${version} rejected`,
        })) ?? rolledBack;
    }
    return { approval, rolledBack };
  }

  async resolveAlias(model: string, alias: string): Promise<AliasRecord | null> {
    assertModelName(model);
    assertAliasName(alias);
    return (await readJson(this.store, aliasKey(model, alias), aliasRecordSchema))?.value ?? null;
  }

  async listAliases(model: string): Promise<AliasRecord[]> {
    assertModelName(model);
    const items = await this.store.list(aliasesPrefix(model));
    const records = await Promise.all(items.map((item) => readJson(this.store, item.key, aliasRecordSchema)));
    return records.flatMap((record) => (record ? [record.value] : []));
  }

  /** Points `alias` (default production) at `version`. Refuses rejected versions. */
  promote(
    model: string,
    version: number,
    alias = PRODUCTION_ALIAS,
    options: PromoteOptions = {},
  ): Promise<AliasMoveResult> {
    return this.moveAlias(model, alias, version, 'promote', options);
  }

  /**
   * Moves production back in one step: to `to`, or else to the version production served before
   * the current one (skipping versions since rejected, and unwinding earlier rollbacks, so
   * repeated rollbacks walk further back rather than toggling).
   */
  async rollback(model: string, options: RollbackOptions = {}): Promise<AliasMoveResult> {
    const current = await this.resolveAlias(model, PRODUCTION_ALIAS);
    if (!current) {
      throw new RegistryError('no-rollback-target', `cannot roll back ${model}: it has no production version yet`);
    }
    if (options.expectedVersion !== undefined && current.version !== options.expectedVersion) {
      throw new RegistryError(
        'superseded',
        `cannot roll back ${model} from version ${options.expectedVersion}: production moved to version ${current.version} since`,
      );
    }
    const target = options.to ?? (await this.previousProductionVersion(model, []));
    if (target === null) {
      throw new RegistryError(
        'no-rollback-target',
        `cannot roll back ${model}: production (version ${current.version}) has no earlier non-rejected version ` +
          'in its history; pass a version to roll back to (--to <version>)',
      );
    }
    return this.moveAlias(model, PRODUCTION_ALIAS, target, 'rollback', {
      ...options,
      reason: options.reason ?? `rollback from version ${current.version}`,
      // Decided from the current version: a move in between makes this rollback stale.
      expectedVersion: current.version,
    });
  }

  /** Every move of the alias, oldest first. */
  async aliasHistory(model: string, alias: string): Promise<AliasRecord[]> {
    assertModelName(model);
    assertAliasName(alias);
    const items = await this.store.list(aliasHistoryPrefix(model, alias));
    const entries = await Promise.all(items.map((item) => readJson(this.store, item.key, aliasRecordSchema)));
    const history = entries.flatMap((entry) => (entry ? [entry.value] : []));
    // A mover that died after the alias write but before its history write: the alias holds the move.
    const current = await this.resolveAlias(model, alias);
    if (current && !history.some((entry) => entry.sequence === current.sequence)) history.push(current);
    return history.sort((a, b) => a.sequence - b.sequence);
  }

  /** The version the alias pointed to at `time`, or null if it did not exist yet. */
  async aliasAt(model: string, alias: string, time: Date): Promise<number | null> {
    const history = await this.aliasHistory(model, alias);
    let version: number | null = null;
    for (const entry of history) {
      if (Date.parse(entry.movedAt) > time.getTime()) break;
      version = entry.version;
    }
    return version;
  }

  private async moveAlias(
    model: string,
    alias: string,
    version: number,
    kind: AliasMoveKind,
    options: PromoteOptions,
  ): Promise<AliasMoveResult> {
    assertAliasName(alias);
    await this.requireVersion(model, version);
    const result = await updateJsonObject(
      this.store,
      aliasKey(model, alias),
      aliasRecordSchema,
      async (current, attempt): Promise<UpdateDecision<AliasRecord, AliasMoveResult>> => {
        // Heals the history of a mover that died between its alias write and its history write.
        if (current && attempt === 0) await this.appendHistory(current.value);
        // Already there (a retried move whose first attempt wrote the alias): only the check below is left.
        if (current?.value.version === version) return { done: { moved: false, record: current.value } };
        const currentVersion = current?.value.version ?? null;
        if (options.expectedVersion !== undefined && currentVersion !== options.expectedVersion) {
          throw new RegistryError(
            'superseded',
            `${alias} of ${model} moved from version ${options.expectedVersion ?? 'none'} to ${currentVersion ?? 'none'} ` +
              `since the decision to move it to version ${version}; version ${version} was not compared with version ` +
              `${currentVersion ?? 'none'}: retrain, or promote it by hand if it should serve`,
          );
        }
        // Re-read on every attempt: a rejection that landed while this move waited is honoured.
        if ((await this.getApproval(model, version)).status === 'rejected') throw rejectedError(model, version, alias);
        const now = this.clock().toISOString();
        const record: AliasRecord = {
          model,
          alias,
          version,
          previousVersion: currentVersion,
          sequence: (current?.value.sequence ?? 0) + 1,
          movedAt: current && current.value.movedAt > now ? current.value.movedAt : now,
          kind,
          reason: options.reason,
          actor: options.actor,
          runId: options.runId,
        };
        return { write: record, onWritten: () => ({ moved: true, record }) };
      },
      this.casOptions(`moving alias ${alias} of ${model} to version ${version}`),
    );
    if (result.moved) {
      await this.appendHistory(result.record);
      await this.events.publish(aliasMovedEvent(result.record));
    }
    await this.undoIfRejected(model, alias, version, result.record.previousVersion, options);
    return result;
  }

  /**
   * Run after the alias points to `version`. A rejection written between the mover's approval read
   * and its alias write may have looked at the alias before that write and found nothing to undo,
   * so the mover undoes it (and a re-run of a mover that crashed right after its write does too).
   */
  private async undoIfRejected(
    model: string,
    alias: string,
    version: number,
    replaced: number | null,
    options: MoveOptions,
  ): Promise<void> {
    if ((await this.getApproval(model, version)).status !== 'rejected') return;
    const restored = await this.withdrawRejected(model, alias, version, {
      reason: `version ${version} was rejected while it was being made ${alias}`,
      actor: options.actor,
    });
    throw new RegistryError(
      'version-rejected',
      `version ${version} of ${model} was rejected while it was being made ${alias}; ` +
        `${alias} is back on version ${restored?.version ?? replaced ?? 'none'}`,
    );
  }

  /** Moves `alias` off `version` if it is rejected and the alias points there (see withdraw). */
  private async withdrawRejected(
    model: string,
    alias: string,
    version: number,
    options: MoveOptions,
  ): Promise<AliasRecord | undefined> {
    if ((await this.getApproval(model, version)).status !== 'rejected') return undefined;
    return this.withdraw(model, alias, version, options);
  }

  /**
   * Moves `alias` off `version` when it points there: production goes back through its history
   * (skipping rejected versions), another alias to where it was before. A compare-and-swap on
   * `version`, so of two withdrawals (a rejecter's and a promoter's) one moves, the other finds
   * nothing left to do.
   */
  private async withdraw(
    model: string,
    alias: string,
    version: number,
    options: MoveOptions,
  ): Promise<AliasRecord | undefined> {
    const current = await this.resolveAlias(model, alias);
    if (current?.version !== version) return undefined;
    const target =
      alias === PRODUCTION_ALIAS ? await this.previousProductionVersion(model, [version]) : current.previousVersion;
    if (target === null || (await this.getApproval(model, target)).status === 'rejected') {
      throw new RegistryError(
        'no-rollback-target',
        `version ${version} of ${model} is rejected but ${alias} still points to it and has no earlier acceptable version; ` +
          `serving refuses a rejected version: promote another version of ${model}`,
      );
    }
    try {
      return (await this.moveAlias(model, alias, target, 'rollback', { ...options, expectedVersion: version })).record;
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'superseded') return undefined;
      throw error;
    }
  }

  /** Idempotent: the history key is unique per sequence, and a second writer finds it present. */
  private async appendHistory(record: AliasRecord): Promise<void> {
    const key = aliasHistoryKey(record.model, record.alias, record.sequence, record.movedAt);
    try {
      await writeJson(this.store, key, record, { ifNoneMatch: '*' });
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }

  private updateApproval(
    model: string,
    version: number,
    status: ApprovalStatus,
    options: MoveOptions,
  ): Promise<ApprovalRecord> {
    return updateJsonObject(
      this.store,
      approvalKey(model, version),
      approvalRecordSchema,
      (current): UpdateDecision<ApprovalRecord, ApprovalRecord> => {
        const previous = current?.value ?? EMPTY_APPROVAL;
        const next: ApprovalRecord = {
          status,
          history: [
            ...previous.history,
            { status, at: this.clock().toISOString(), reason: options.reason, actor: options.actor },
          ],
        };
        return {
          write: next,
          onWritten: async () => {
            await this.publish('ModelApprovalChanged', {
              model,
              version,
              status,
              previousStatus: previous.status,
              reason: options.reason,
              actor: options.actor,
            });
            return next;
          },
        };
      },
      this.casOptions(`changing the approval of version ${version} of ${model}`),
    );
  }

  private casOptions(what: string): ConditionalUpdateOptions {
    return {
      what,
      maxAttempts: this.maxAttempts,
      backoff: this.backoff,
      giveUp: () => this.contention(what),
    };
  }

  /**
   * Replays production's history as a stack (a promotion pushes; a rollback pops back to its
   * target) and returns the nearest entry below the current one that is not rejected or excluded.
   */
  private async previousProductionVersion(model: string, exclude: readonly number[]): Promise<number | null> {
    const history = await this.aliasHistory(model, PRODUCTION_ALIAS);
    const stack: number[] = [];
    for (const entry of history) {
      const index = entry.kind === 'rollback' ? stack.lastIndexOf(entry.version) : -1;
      if (index >= 0) stack.length = index + 1;
      else stack.push(entry.version);
    }
    const current = stack.pop();
    for (let index = stack.length - 1; index >= 0; index -= 1) {
      const candidate = stack[index]!;
      if (candidate === current || exclude.includes(candidate)) continue;
      if ((await this.getApproval(model, candidate)).status !== 'rejected') return candidate;
    }
    return null;
  }

  private async requireVersion(model: string, version: number): Promise<ModelVersion> {
    if (!Number.isInteger(version) || version < 1) {
      throw new RegistryError('version-not-found', `version must be a positive integer, received ${String(version)}`);
    }
    const found = await this.getVersion(model, version);
    if (!found) {
      const known = await this.committedVersionNumbers(model);
      throw new RegistryError(
        'version-not-found',
        `model ${model} has no version ${version}; registered versions: ${known.length ? known.join(', ') : 'none'}`,
      );
    }
    return found;
  }

  private async committedVersionNumbers(model: string): Promise<number[]> {
    assertModelName(model);
    const numbers = (await this.store.list(versionsPrefix(model)))
      .map((item) => parseVersionKey(item.key))
      .filter((parsed) => parsed?.file === 'version.json')
      .map((parsed) => parsed!.version);
    return numbers.sort((a, b) => a - b);
  }

  /** Over every file, not only committed metadata: a claimed artifact also takes its number. */
  private async highestVersionNumber(model: string): Promise<number> {
    let highest = 0;
    for (const item of await this.store.list(versionsPrefix(model))) {
      highest = Math.max(highest, parseVersionKey(item.key)?.version ?? 0);
    }
    return highest;
  }

  private async putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<boolean> {
    try {
      await this.store.put(key, body, { ifNoneMatch: '*', contentType });
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw error;
    }
  }

  private publish(detailType: RegistryDetailType, detail: Record<string, unknown>): Promise<void> {
    return this.events.publish({ source: REGISTRY_EVENT_SOURCE, detailType, detail });
  }

  private contention(what: string): RegistryError {
    return new RegistryError(
      'contention',
      `gave up ${what} after ${this.maxAttempts} lost conditional writes in s3://${this.store.bucket}/; ` +
        'another writer keeps winning: retry later or raise maxAttempts',
    );
  }
}

/** Checks bytes against the SHA-256 and size a version recorded; throws RegistryError 'integrity' naming the object. */
export function verifyArtifact(
  bytes: Uint8Array,
  metadata: Pick<VersionMetadata, 'model' | 'version' | 'artifactSha256' | 'artifactBytes'>,
  location: string,
): void {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== metadata.artifactSha256 || bytes.byteLength !== metadata.artifactBytes) {
    throw new RegistryError(
      'integrity',
      `artifact ${location} of version ${metadata.version} of ${metadata.model} has SHA-256 ${sha256} (${bytes.byteLength} bytes) ` +
        `but was registered with ${metadata.artifactSha256} (${metadata.artifactBytes} bytes): it was changed after registration; ` +
        "restore it from the bucket's object versions or roll production back to another version",
    );
  }
}

function rejectedError(model: string, version: number, alias: string): RegistryError {
  return new RegistryError(
    'version-rejected',
    `version ${version} of ${model} is rejected and cannot become ${alias}; set its approval to pending or approved first`,
  );
}

function assertModelName(model: string): void {
  if (!MODEL_NAME_PATTERN.test(model)) {
    throw new RegistryError(
      'invalid-name',
      `model name ${JSON.stringify(model)} must match ${MODEL_NAME_PATTERN} (lowercase letters, digits, dashes)`,
    );
  }
}

function assertAliasName(alias: string): void {
  if (!ALIAS_NAME_PATTERN.test(alias)) {
    throw new RegistryError(
      'invalid-name',
      `alias ${JSON.stringify(alias)} must match ${ALIAS_NAME_PATTERN} (for example production, staging, challenger)`,
    );
  }
}
