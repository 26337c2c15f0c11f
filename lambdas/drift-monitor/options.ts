import type { DRIFT_TESTS, ModelConfig } from '../../core/config/schema';
import type { ColumnDriftOverride, DriftOptions } from '../../core/drift/options';
import type { DriftTestName } from '../../core/drift/report';
import type { DataProfile } from '../../core/profile/profile';

/** The model's `drift` config mapped onto analyzeDrift's options. */

const CONFIG_TEST_NAMES: Readonly<Record<Exclude<(typeof DRIFT_TESTS)[number], 'auto'>, DriftTestName>> = {
  ks: 'ks',
  // Evidently's goodness-of-fit test, as `mlops drift --test col=chisquare` means; `auto` picks
  // the calibrated two-sample form (core/drift/README.md).
  chisquare: 'chisquare',
  ztest: 'z',
  wasserstein: 'wasserstein',
  jensenshannon: 'jensenshannon',
  psi: 'psi',
};

export interface ResolvedDriftOptions {
  /** The reference with the config's ignored columns set aside (they are then neither tested nor "new"). */
  readonly reference: DataProfile;
  readonly options: DriftOptions;
  /** Config entries that could not apply, for the log and the summary. */
  readonly notes: readonly string[];
}

/** Maps the model's `drift` config onto analyzeDrift's options. */
export function driftOptionsFromConfig(
  drift: ModelConfig['drift'],
  profile: DataProfile,
  now: Date,
): ResolvedDriftOptions {
  const known = new Set(profile.columns.map((column) => column.name));
  const notes: string[] = [];
  const ignored = new Set<string>();
  const columns: Record<string, ColumnDriftOverride> = {};
  for (const [name, setting] of Object.entries(drift.columns)) {
    if (!known.has(name)) {
      // A config that names a column the production model lacks must not stop every check.
      notes.push(
        `drift.columns.${name} ignored: the production model's reference has no column "${name}" (it has ${[...known].join(', ')})`,
      );
      continue;
    }
    if (setting.ignore) {
      ignored.add(name);
      continue;
    }
    const override: { test?: DriftTestName; threshold?: number } = {};
    if (setting.test !== 'auto') override.test = CONFIG_TEST_NAMES[setting.test];
    if (setting.threshold !== undefined) override.threshold = setting.threshold;
    if (override.test || override.threshold !== undefined) columns[name] = override;
  }
  const reference: DataProfile = {
    ...profile,
    columns: profile.columns.filter((column) => !ignored.has(column.name)),
    ignoredColumns: [...profile.ignoredColumns, ...ignored],
  };
  const options: DriftOptions = {
    driftShare: drift.driftShare,
    thresholds: {
      ks: drift.pValue,
      chisquare: drift.pValue,
      'chisquare-homogeneity': drift.pValue,
      z: drift.pValue,
      wasserstein: drift.distance,
      jensenshannon: drift.distance,
      psi: drift.distance,
    },
    columns,
    now,
  };
  return { reference, options, notes };
}
