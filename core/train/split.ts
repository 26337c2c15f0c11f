import { createRandom } from '../datasets/random';

export interface Split {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
}

function shuffled(rows: number[], seed: number): number[] {
  const random = createRandom(seed);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

/**
 * Deterministic train/validation split of the rows whose target is present. Binary targets are
 * stratified so both sides keep the class balance. The same (labels, seed, fraction) always gives
 * the same split: the evaluate step re-derives it to score champion and candidate on the rows
 * the candidate never saw.
 */
export function splitRows(
  target: Float64Array,
  options: { seed: number; validationFraction: number; stratify: boolean },
): Split {
  const groups: number[][] = options.stratify ? [[], []] : [[]];
  for (let row = 0; row < target.length; row++) {
    const value = target[row];
    if (Number.isNaN(value)) continue;
    groups[options.stratify ? value : 0].push(row);
  }
  const train: number[] = [];
  const validation: number[] = [];
  groups.forEach((group, index) => {
    const rows = shuffled(group, options.seed + index);
    const validationCount = Math.round(rows.length * options.validationFraction);
    // Plain loops: spreading a million-row array into push() overflows the call stack.
    for (let i = 0; i < rows.length; i++) (i < validationCount ? validation : train).push(rows[i]);
  });
  // Row order inside each side does not change results; sorted order keeps memory access sequential.
  return { train: Uint32Array.from(train).sort(), validation: Uint32Array.from(validation).sort() };
}

/**
 * Deterministic k-fold partition of `rows` (indices into `target`): each row is in exactly one
 * fold's validation side. Binary targets are stratified (each class dealt round-robin over the
 * folds after a seeded shuffle) so every fold keeps the class balance.
 */
export function kFoldSplits(
  target: Float64Array,
  rows: Uint32Array,
  options: { seed: number; folds: number; stratify: boolean },
): Split[] {
  const groups: number[][] = options.stratify ? [[], []] : [[]];
  for (const row of rows) groups[options.stratify ? target[row] : 0].push(row);
  const foldOf = new Map<number, number>();
  let next = 0;
  groups.forEach((group, index) => {
    // Continue the round-robin across classes so fold sizes differ by at most one row.
    for (const row of shuffled(group, options.seed + 1000 + index)) foldOf.set(row, next++ % options.folds);
  });
  return Array.from({ length: options.folds }, (_, fold) => ({
    train: rows.filter((row) => foldOf.get(row) !== fold),
    validation: rows.filter((row) => foldOf.get(row) === fold),
  }));
}
