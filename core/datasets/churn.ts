/**
 * The built-in e-commerce churn data set: a deterministic generator, so every test, demo and
 * benchmark can make the same file from (rows, seed, batch) instead of shipping one.
 *
 * The generative story, per customer (batch v1):
 * - plan: basic 50%, standard 35%, premium 15%.
 * - age ~ Normal(40, 12) clipped to 18..85; tenure_months ~ Exponential(mean 14 + 0.2 * (age - 18)),
 *   capped at 120.
 * - purchase_frequency (orders per month) and avg_basket_value are log-normal, both higher on
 *   higher plans; days_since_last_login is exponential with a mean that falls as purchases rise.
 * - support_contacts ~ Poisson(1.1); discount_usage_rate in [0, 1], skewed low.
 * - region is uniform-ish and has NO effect on churn (a noise feature); payment_method is
 *   card / paypal / bank_transfer; younger customers are more often mobile users;
 *   40% subscribe to the newsletter.
 * - churned ~ Bernoulli(sigmoid(z)), with z built from effects a linear model cannot fit well:
 *   a U-shape in age (young and old churn more), a step at 30 days since the last login,
 *   support contacts that hurt a lot on basic, less on standard and not on premium, where
 *   issues get solved (plan x support interaction), a log-shaped tenure effect, purchases that
 *   help up to a cap, and discounts that signal churn only for small baskets (discount x
 *   basket interaction).
 *   About 24% of customers churn. Measured with scikit-learn on 50,000 rows (70/30 split,
 *   test/core/datasets/churn-separability.py): gradient-boosted trees AUC ~0.83 (v1) / ~0.86
 *   (v2), one-hot logistic regression ~0.78 / ~0.81.
 * - Missing completely at random, after churn is drawn: age 3%, avg_basket_value 2%,
 *   discount_usage_rate 4% (empty cells).
 *
 * Batch v2 is a later batch of new customers with the same churn mechanism but shifted inputs:
 * older (mean 47), more support contacts (Poisson 1.9), 25% fewer purchases, more premium
 * plans (basic 40%, standard 33%, premium 27%), a new payment method "crypto" (12%, slightly
 * more churn), and a NEW column time_spent_on_video_tutorials (minutes per month, log-normal,
 * missing for 10% of rows) whose log lowers churn. About 21-22% of v2 customers churn.
 */

import { formatCsv } from '../data/csv';
import type { Cell, DataTable } from '../data/table';
import { createRandom, type Random } from './random';

export type ChurnBatch = 'v1' | 'v2';

export interface ChurnOptions {
  /** Number of customers (rows). */
  readonly rows: number;
  readonly seed: number;
  /** @default 'v1' */
  readonly batch?: ChurnBatch;
}

export const CHURN_TARGET = 'churned';

const V1_COLUMNS = [
  'customer_id',
  'age',
  'tenure_months',
  'purchase_frequency',
  'avg_basket_value',
  'support_contacts',
  'days_since_last_login',
  'discount_usage_rate',
  'plan',
  'region',
  'payment_method',
  'is_mobile_user',
  'newsletter_subscriber',
  CHURN_TARGET,
] as const;

const V2_COLUMNS = [...V1_COLUMNS.slice(0, -1), 'time_spent_on_video_tutorials', CHURN_TARGET] as const;

/** The columns of a batch, in file order; the target is last. */
export function churnColumns(batch: ChurnBatch = 'v1'): readonly string[] {
  return batch === 'v2' ? V2_COLUMNS : V1_COLUMNS;
}

interface BatchProfile {
  readonly ageMean: number;
  readonly ageSd: number;
  readonly supportMean: number;
  readonly purchaseScale: number;
  readonly planWeights: readonly number[];
  readonly paymentMethods: readonly string[];
  readonly paymentWeights: readonly number[];
  readonly hasTutorials: boolean;
  /** Keeps the batches' random streams apart for the same seed. */
  readonly seedSalt: number;
  /** v2 customers are numbered from here, so ids never collide with a v1 file of under a million rows. */
  readonly firstCustomerNumber: number;
}

const PROFILES: Record<ChurnBatch, BatchProfile> = {
  v1: {
    ageMean: 40,
    ageSd: 12,
    supportMean: 1.1,
    purchaseScale: 1,
    planWeights: [0.5, 0.35, 0.15],
    paymentMethods: ['card', 'paypal', 'bank_transfer'],
    paymentWeights: [0.6, 0.3, 0.1],
    hasTutorials: false,
    seedSalt: 0,
    firstCustomerNumber: 1,
  },
  v2: {
    ageMean: 47,
    ageSd: 13,
    supportMean: 1.9,
    purchaseScale: 0.75,
    planWeights: [0.4, 0.33, 0.27],
    paymentMethods: ['card', 'paypal', 'bank_transfer', 'crypto'],
    paymentWeights: [0.5, 0.28, 0.1, 0.12],
    hasTutorials: true,
    seedSalt: 0x2b7e1516,
    firstCustomerNumber: 1_000_001,
  },
};

const PLANS = ['basic', 'standard', 'premium'] as const;
const REGIONS = ['north', 'south', 'east', 'west'] as const;
const REGION_WEIGHTS = [0.3, 0.25, 0.25, 0.2];

/** Churn effects; the intercept sets the base rate near a quarter. */
const EFFECTS = {
  intercept: -0.75,
  ageCurvature: 0.003,
  ageCentre: 45,
  inactiveStep: 2.2,
  inactiveDays: 30,
  perInactiveDay: 0.004,
  supportByPlan: { basic: 0.65, standard: 0.25, premium: -0.15 },
  plan: { basic: 0, standard: -0.15, premium: -0.4 },
  tenureLog: -0.9,
  perPurchase: -0.3,
  purchaseCap: 8,
  smallBasketDiscount: 2.5,
  smallBasket: 40,
  payment: { card: 0, paypal: 0, bank_transfer: 0.25, crypto: 0.3 } as Record<string, number>,
  mobile: -0.2,
  newsletter: -0.3,
  tutorialsLog: -0.7,
} as const;

const MISSING_RATES = { age: 0.03, avgBasketValue: 0.02, discountUsageRate: 0.04, tutorials: 0.1 } as const;

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random.next());
}

/** Knuth's method: fine for the small means used here. */
function poisson(random: Random, mean: number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random.next();
  while (product > limit) {
    count++;
    product *= random.next();
  }
  return count;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function validate(options: ChurnOptions): void {
  if (!Number.isInteger(options.rows) || options.rows < 0) {
    throw new RangeError(`rows must be a non-negative integer; received ${options.rows}`);
  }
  if (!Number.isFinite(options.seed)) throw new RangeError(`seed must be a finite number; received ${options.seed}`);
  if (options.batch !== undefined && !(options.batch in PROFILES)) {
    throw new RangeError(`batch must be 'v1' or 'v2'; received ${String(options.batch)}`);
  }
}

/** Generates the churn table, cells as text or null exactly as parseCsv would read the file. */
export function generateChurn(options: ChurnOptions): DataTable {
  validate(options);
  const batch = options.batch ?? 'v1';
  const profile = PROFILES[batch];
  const random = createRandom(options.seed + profile.seedSalt);
  const columnNames = churnColumns(batch);
  const columns: Cell[][] = columnNames.map(() => new Array<Cell>(options.rows));
  const column = (name: string): Cell[] => columns[columnNames.indexOf(name)];
  const [ids, ages, tenures, purchases, baskets, supports, logins, discounts] = [
    'customer_id',
    'age',
    'tenure_months',
    'purchase_frequency',
    'avg_basket_value',
    'support_contacts',
    'days_since_last_login',
    'discount_usage_rate',
  ].map(column);
  const [plans, regions, payments, mobiles, newsletters, churns] = [
    'plan',
    'region',
    'payment_method',
    'is_mobile_user',
    'newsletter_subscriber',
    CHURN_TARGET,
  ].map(column);
  const tutorials = profile.hasTutorials ? column('time_spent_on_video_tutorials') : null;

  for (let row = 0; row < options.rows; row++) {
    // The draws happen in a fixed order per row: that order is what makes the output reproducible.
    const planIndex = PLANS.indexOf(random.pick(PLANS, profile.planWeights));
    const plan = PLANS[planIndex];
    const age = Math.round(clamp(profile.ageMean + profile.ageSd * random.normal(), 18, 85));
    const tenure = Math.min(120, Math.floor(exponential(random, 14 + 0.2 * (age - 18))));
    const purchaseFrequency =
      Math.round(profile.purchaseScale * Math.exp(Math.log(2.5) + 0.15 * planIndex + 0.5 * random.normal()) * 10) / 10;
    const basketValue = Math.round(Math.exp(Math.log(45) + 0.25 * planIndex + 0.45 * random.normal()) * 100) / 100;
    const support = Math.min(15, poisson(random, profile.supportMean));
    const daysSinceLogin = Math.min(365, Math.floor(exponential(random, 6 + 30 / (1 + purchaseFrequency))));
    const discountRate = Math.round(clamp(0.02 + 0.85 * random.next() ** 2, 0, 1) * 100) / 100;
    const region = random.pick(REGIONS, REGION_WEIGHTS);
    const payment = random.pick(profile.paymentMethods, profile.paymentWeights);
    const mobile = random.next() < 0.85 - 0.008 * (age - 18);
    const newsletter = random.next() < 0.4;
    const tutorialMinutes = profile.hasTutorials
      ? Math.round(Math.exp(Math.log(25) + 0.8 * random.normal()) * 10) / 10
      : 0;

    const z =
      EFFECTS.intercept +
      EFFECTS.ageCurvature * (age - EFFECTS.ageCentre) ** 2 +
      (daysSinceLogin > EFFECTS.inactiveDays ? EFFECTS.inactiveStep : 0) +
      EFFECTS.perInactiveDay * Math.min(daysSinceLogin, 200) +
      EFFECTS.supportByPlan[plan] * support +
      EFFECTS.plan[plan] +
      EFFECTS.tenureLog * Math.log1p(tenure / 6) +
      EFFECTS.perPurchase * Math.min(purchaseFrequency, EFFECTS.purchaseCap) +
      (basketValue < EFFECTS.smallBasket ? EFFECTS.smallBasketDiscount * discountRate : 0) +
      EFFECTS.payment[payment] +
      (mobile ? EFFECTS.mobile : 0) +
      (newsletter ? EFFECTS.newsletter : 0) +
      (profile.hasTutorials ? EFFECTS.tutorialsLog * Math.log1p(tutorialMinutes / 15) : 0);
    const churned = random.next() < sigmoid(z);

    ids[row] = `C${String(profile.firstCustomerNumber + row).padStart(6, '0')}`;
    ages[row] = random.next() < MISSING_RATES.age ? null : String(age);
    tenures[row] = String(tenure);
    purchases[row] = purchaseFrequency.toFixed(1);
    baskets[row] = random.next() < MISSING_RATES.avgBasketValue ? null : basketValue.toFixed(2);
    supports[row] = String(support);
    logins[row] = String(daysSinceLogin);
    discounts[row] = random.next() < MISSING_RATES.discountUsageRate ? null : discountRate.toFixed(2);
    plans[row] = plan;
    regions[row] = region;
    payments[row] = payment;
    mobiles[row] = mobile ? 'yes' : 'no';
    newsletters[row] = newsletter ? 'true' : 'false';
    if (tutorials !== null) {
      tutorials[row] = random.next() < MISSING_RATES.tutorials ? null : tutorialMinutes.toFixed(1);
    }
    churns[row] = churned ? 'yes' : 'no';
  }
  return { columnNames, columns, rowCount: options.rows };
}

/** The churn data set as CSV text (header, LF line ends, missing values as empty fields). */
export function churnCsv(options: ChurnOptions): string {
  return formatCsv(generateChurn(options));
}
