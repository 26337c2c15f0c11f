import { aliasKey } from '../../core/registry/keys';
import type { AliasRecord } from '../../core/registry/records';
import { PRODUCTION_ALIAS } from '../../core/registry/records';
import { ModelRegistry } from '../../core/registry/registry';
import { Scorer } from '../../core/score/scorer';
import type { ObjectStore } from '../../core/storage/object-store';

/** The model a container serves, loaded once and kept in memory. */
export interface ServingModel {
  readonly name: string;
  readonly version: number;
  readonly scorer: Scorer;
  /** The alias move that made this version production (when and why). */
  readonly alias: AliasRecord;
  /** ETag of the alias object this model was loaded from; a different one means a promotion. */
  readonly aliasEtag: string;
}

/** Nothing to serve: no production version, or it cannot be loaded. Maps to 503. */
export class ModelUnavailableError extends Error {
  override readonly name = 'ModelUnavailableError';
}

export interface CacheLogger {
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export interface ModelCacheOptions {
  /** The artifacts zone (the registry). */
  readonly store: ObjectStore;
  readonly model: string;
  /** The alias object is checked at most this often. */
  readonly refreshMs: number;
  /** @default 'production' */
  readonly alias?: string;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  readonly logger?: CacheLogger;
}

/**
 * Loads the production model once per container and notices promotions without a redeploy.
 *
 * Reads of S3, and when: the first request loads alias -> approval -> version -> artifact (four
 * GETs and a HEAD); the artifact is checked against its registered SHA-256 and a rejected version
 * is refused. After that a request reads nothing, except that once per `refreshMs` one request HEADs
 * the alias object (a few ms) and, only when its ETag changed, loads the new version before
 * answering. So every request that starts `refreshMs` after a promotion is served by the new
 * model. The check is awaited rather than run in the background because Lambda freezes the
 * container between invocations: a background check would finish only at the next one.
 *
 * Failures: a failed check or load keeps serving the model already loaded (logged, retried at
 * the next interval). Without any model, the error is a ModelUnavailableError (503), and S3 is
 * asked again only after `refreshMs` too, so a burst of requests cannot hammer it.
 */
export class ModelCache {
  private serving?: ServingModel;
  private lastCheckMs = Number.NEGATIVE_INFINITY;
  private lastFailure?: ModelUnavailableError;
  private inFlight?: Promise<void>;
  private readonly registry: ModelRegistry;
  private readonly alias: string;
  private readonly now: () => number;
  /** Versions loaded so far (tests and logs read it). */
  loads = 0;
  /** Alias checks so far. */
  checks = 0;

  constructor(private readonly options: ModelCacheOptions) {
    this.registry = new ModelRegistry({ store: options.store });
    this.alias = options.alias ?? PRODUCTION_ALIAS;
    this.now = options.now ?? Date.now;
  }

  /** The model to serve now, checking for a promotion when the interval has passed. */
  async get(): Promise<ServingModel> {
    if (this.now() - this.lastCheckMs >= this.options.refreshMs) {
      this.inFlight ??= this.refresh().finally(() => {
        this.inFlight = undefined;
      });
      await this.inFlight;
    }
    if (this.serving) return this.serving;
    throw this.lastFailure ?? new ModelUnavailableError(`model ${this.options.model} is not loaded yet`);
  }

  /** The model already loaded, without any check (GET / of a warm container, metrics). */
  get current(): ServingModel | undefined {
    return this.serving;
  }

  /** Forces a check at the next request (e.g. on a promotion event). */
  invalidate(): void {
    this.lastCheckMs = Number.NEGATIVE_INFINITY;
  }

  private async refresh(): Promise<void> {
    const { model, store } = this.options;
    this.checks++;
    try {
      const head = await store.head(aliasKey(model, this.alias));
      if (!head) {
        if (this.serving) {
          this.options.logger?.warn('alias object missing; still serving the loaded version', {
            model,
            alias: this.alias,
            version: this.serving.version,
          });
        } else {
          this.lastFailure = new ModelUnavailableError(
            `model ${model} has no ${this.alias} version yet; train one and promote it (mlops promote ${model} <version>)`,
          );
        }
        return;
      }
      if (this.serving && this.serving.aliasEtag === head.etag) return;
      await this.load(head.etag);
    } catch (error) {
      const message = (error as Error).message;
      if (this.serving) {
        this.options.logger?.error('model refresh failed; still serving the loaded version', {
          model,
          version: this.serving.version,
          error: message,
        });
      } else {
        this.options.logger?.error('model load failed', { model, error: message });
        this.lastFailure = new ModelUnavailableError(`model ${model} could not be loaded: ${message}`);
      }
    } finally {
      // Stamped after the check, success or not: the next one is one interval from now.
      this.lastCheckMs = this.now();
    }
  }

  /** Loads the version the alias points to. The ETag was read BEFORE the alias, so a move in between is seen next time. */
  private async load(aliasEtag: string): Promise<void> {
    const { model } = this.options;
    const alias = await this.registry.resolveAlias(model, this.alias);
    if (!alias) throw new Error(`the ${this.alias} alias of ${model} disappeared while loading`);
    if (this.serving && this.serving.version === alias.version) {
      this.serving = { ...this.serving, alias, aliasEtag };
      return;
    }
    // The one registry path: alias -> verified artifact (registered SHA-256) -> parsed model.
    const loaded = await this.registry.loadAliasTarget(alias);
    // A rejected version is never served, even for the moment between a rejection and the
    // rollback that follows it (or if that rollback failed): the loaded model stays instead.
    if (loaded.approval === 'rejected') {
      throw new Error(
        `${this.alias} points to version ${loaded.version} of ${model}, which is rejected; it is not served ` +
          `(roll back or promote another version: mlops rollback ${model})`,
      );
    }
    const scorer = new Scorer(loaded.artifact);
    const previous = this.serving?.version;
    this.serving = { name: model, version: loaded.version, scorer, alias: loaded.alias, aliasEtag };
    this.lastFailure = undefined;
    this.loads++;
    this.options.logger?.info('model loaded', { model, version: loaded.version, previousVersion: previous });
  }
}
