import type { Cell } from '../../core/data/table';

/** One row to score: feature name -> scalar. The request formats and their checks: ./request-formats.ts. */
export type Instance = Readonly<Record<string, Cell>>;
