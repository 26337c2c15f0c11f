import { driftReportPrefix } from '../../core/workflow/layout';

/** The drift monitor's retrain cooldown state (lambdas/shared/retrain-cooldown.ts): drift/<model>/state.json. */
export const driftStateKey = (model: string): string => `${driftReportPrefix(model)}state.json`;
