/**
 * LightGBM's text model format (`booster.save_model("model.txt")`) to our `trees` model kind.
 *
 * The file is `key=value` lines: a header (objective, feature_names, max_feature_idx, ...), then
 * one `Tree=<i>` block per tree, then `end of trees`. A tree of `num_leaves` L has L - 1 internal
 * nodes 0..L-2; a child index c >= 0 is internal node c, c < 0 is leaf ~c. `decision_type` packs
 * bit 0 (categorical split), bit 1 (default left) and bits 2-3 (missing type: 0 none, 1 zero, 2 NaN).
 * A numeric split sends `x <= threshold` left; a categorical split's `threshold` indexes
 * `cat_boundaries`, whose range of `cat_threshold` words is a bitset of the codes that go left.
 * Leaf values already include the shrinkage (learning rate), and boosting from the average is
 * folded into the first tree, so the margin is the plain sum of the leaves.
 */
import type { ImportedTreeJson } from '../learners/trees';
import { ImportError } from './import-error';
import { generatedFeatureNames, type ImportedModel, SUPPORTED_OBJECTIVES } from './imported-model';

const CATEGORICAL_BIT = 1;
const DEFAULT_LEFT_BIT = 2;
const MISSING_TYPES = ['none', 'zero', 'nan'] as const;

function keyValues(lines: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    else if (line.trim() !== '') values.set(line.trim(), '');
  }
  return values;
}

function numbers(block: Map<string, string>, key: string, where: string, expected?: number): number[] {
  const text = block.get(key);
  if (text === undefined) throw new ImportError(`${where} has no ${key}= line; the file is corrupt`);
  const values = text === '' ? [] : text.split(/\s+/).map(Number);
  if (values.some((value) => Number.isNaN(value)))
    throw new ImportError(`${where} ${key} holds a value that is not a number`);
  if (expected !== undefined && values.length !== expected) {
    throw new ImportError(`${where} has ${values.length} ${key} values, expected ${expected}; the file is corrupt`);
  }
  return values;
}

function convertTree(block: Map<string, string>, where: string, featureCount: number): ImportedTreeJson {
  const leaves = numbers(block, 'num_leaves', where, 1)[0];
  if (!(Number.isInteger(leaves) && leaves >= 1)) throw new ImportError(`${where} num_leaves ${leaves} is not a count`);
  if (block.get('is_linear') === '1')
    throw new ImportError(`${where} is a linear tree (linear_tree=true); not supported`);
  const leafValue = numbers(block, 'leaf_value', where, leaves);
  if (leaves === 1) {
    // A one-leaf tree leaves its count lines empty.
    const count = block.get('leaf_count') ? numbers(block, 'leaf_count', where, 1) : [0];
    return { left: [-1], right: [-1], feature: [-1], threshold: [0], value: leafValue, cover: count, defaultLeft: [0] };
  }
  const internal = leaves - 1;
  const splitFeature = numbers(block, 'split_feature', where, internal);
  const threshold = numbers(block, 'threshold', where, internal);
  const decisionType = numbers(block, 'decision_type', where, internal);
  const leftChild = numbers(block, 'left_child', where, internal);
  const rightChild = numbers(block, 'right_child', where, internal);
  // Cover: row counts, as LightGBM's own TreeSHAP uses; the hessian weights where counts are absent.
  const useCounts = block.has('internal_count') && block.has('leaf_count');
  const internalCover = useCounts
    ? numbers(block, 'internal_count', where, internal)
    : block.has('internal_weight')
      ? numbers(block, 'internal_weight', where, internal)
      : new Array<number>(internal).fill(0);
  const leafCover = useCounts
    ? numbers(block, 'leaf_count', where, leaves)
    : block.has('leaf_weight')
      ? numbers(block, 'leaf_weight', where, leaves)
      : new Array<number>(leaves).fill(0);
  const hasCategorical = decisionType.some((type) => (type & CATEGORICAL_BIT) !== 0);
  const catBoundaries = hasCategorical ? numbers(block, 'cat_boundaries', where) : [];
  const catThreshold = hasCategorical ? numbers(block, 'cat_threshold', where) : [];

  // Internal nodes keep their indices; leaf i becomes node internal + i.
  const node = (child: number) => (child >= 0 ? child : internal + ~child);
  const out: ImportedTreeJson = {
    left: [],
    right: [],
    feature: [],
    threshold: [],
    value: [],
    cover: [],
    defaultLeft: [],
    missingType: [],
  };
  const categories: Array<number[] | null> = [];
  for (let i = 0; i < internal; i++) {
    const children = [leftChild[i], rightChild[i]];
    if (children.some((child) => !Number.isInteger(child) || child >= internal || ~child >= leaves)) {
      throw new ImportError(`${where} node ${i} has children ${children.join('/')} outside the tree`);
    }
    const feature = splitFeature[i];
    if (!(Number.isInteger(feature) && feature >= 0 && feature < featureCount)) {
      throw new ImportError(`${where} node ${i} splits on feature ${feature}, but the model has ${featureCount}`);
    }
    const type = decisionType[i];
    const missing = MISSING_TYPES[(type >> 2) & 3];
    if (missing === undefined) throw new ImportError(`${where} node ${i} decision_type ${type} names no missing type`);
    out.left.push(node(leftChild[i]));
    out.right.push(node(rightChild[i]));
    out.feature.push(feature);
    out.value.push(0);
    out.cover.push(internalCover[i]);
    out.defaultLeft.push(type & DEFAULT_LEFT_BIT ? 1 : 0);
    out.missingType?.push(missing);
    if (type & CATEGORICAL_BIT) {
      const index = threshold[i];
      const from = catBoundaries[index];
      const to = catBoundaries[index + 1];
      if (!(Number.isInteger(index) && from >= 0 && to >= from && to <= catThreshold.length)) {
        throw new ImportError(`${where} node ${i} names category set ${index}, which cat_boundaries does not hold`);
      }
      const set: number[] = [];
      for (let word = from; word < to; word++) {
        for (let bit = 0; bit < 32; bit++) if ((catThreshold[word] >>> bit) & 1) set.push((word - from) * 32 + bit);
      }
      out.threshold.push(0);
      categories.push(set);
    } else {
      out.threshold.push(threshold[i]);
      categories.push(null);
    }
  }
  for (let leaf = 0; leaf < leaves; leaf++) {
    out.left.push(-1);
    out.right.push(-1);
    out.feature.push(-1);
    out.threshold.push(0);
    out.value.push(leafValue[leaf]);
    out.cover.push(leafCover[leaf]);
    out.defaultLeft.push(0);
    out.missingType?.push('none');
    categories.push(null);
  }
  if (hasCategorical) out.categories = categories;
  return out;
}

function looksLikeXgboost(text: string): boolean {
  const start = text.trimStart();
  return start.startsWith('{');
}

export function parseLightgbmModel(bytes: Uint8Array, source = 'the model file'): ImportedModel {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ImportError(
      `${source} is not a LightGBM text model (it is not UTF-8 text; an XGBoost .ubj? use --framework xgboost)`,
    );
  }
  if (looksLikeXgboost(text)) {
    throw new ImportError(
      `${source} looks like an XGBoost JSON or UBJSON model, not LightGBM text; use --framework xgboost`,
    );
  }
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'tree') {
    throw new ImportError(`${source} is not a LightGBM text model: its first line is not "tree"`);
  }
  const end = lines.indexOf('end of trees');
  const body = end < 0 ? lines : lines.slice(0, end);
  if (end < 0) throw new ImportError(`${source} has no "end of trees" line; the file is truncated`);
  const treeStarts = body.flatMap((line, i) => (/^Tree=\d+$/.test(line.trim()) ? [i] : []));
  const header = keyValues(body.slice(1, treeStarts[0] ?? body.length));

  const objectiveLine = header.get('objective');
  if (objectiveLine === undefined) throw new ImportError(`${source} has no objective= line`);
  const [objective, ...objectiveParams] = objectiveLine.split(/\s+/);
  const numClass = Number(header.get('num_class') ?? '1');
  const perIteration = Number(header.get('num_tree_per_iteration') ?? '1');
  const supported = SUPPORTED_OBJECTIVES.lightgbm.join(', ');
  if (numClass > 1 || perIteration > 1 || objective.startsWith('multiclass')) {
    throw new ImportError(
      `${source}: multi-class objective "${objective}" (${numClass} classes) is not supported; supported objectives: ${supported}`,
    );
  }
  if (!(SUPPORTED_OBJECTIVES.lightgbm as readonly string[]).includes(objective)) {
    throw new ImportError(`${source}: objective "${objective}" is not supported; supported objectives: ${supported}`);
  }
  const task = objective === 'binary' ? 'binary' : 'regression';
  if (task === 'binary') {
    const sigmoid = objectiveParams.find((param) => param.startsWith('sigmoid:'));
    if (sigmoid && Number(sigmoid.slice('sigmoid:'.length)) !== 1) {
      throw new ImportError(`${source}: binary objective with ${sigmoid} is not supported; only sigmoid:1`);
    }
  } else if (objectiveParams.includes('sqrt')) {
    throw new ImportError(`${source}: regression objective with sqrt (predictions squared) is not supported`);
  }
  if (header.has('average_output')) {
    throw new ImportError(`${source}: averaged output (boosting=rf) is not supported; only boosted sums`);
  }
  const maxFeature = Number(header.get('max_feature_idx'));
  if (!(Number.isInteger(maxFeature) && maxFeature >= 0)) {
    throw new ImportError(`${source}: max_feature_idx is ${header.get('max_feature_idx') ?? 'missing'}`);
  }
  const featureCount = maxFeature + 1;
  const names = (header.get('feature_names') ?? '').split(/\s+/).filter(Boolean);
  if (names.length > 0 && names.length !== featureCount) {
    throw new ImportError(`${source}: feature_names lists ${names.length} names for ${featureCount} features`);
  }
  // LightGBM names unnamed columns Column_0, Column_1, ...: placeholders, not the user's names.
  const generated = names.length === 0 || names.every((name, i) => name === `Column_${i}`);

  const trees = treeStarts.map((start, t) => {
    const stop = treeStarts[t + 1] ?? body.length;
    const where = `${source}: tree ${t}`;
    return convertTree(keyValues(body.slice(start + 1, stop)), where, featureCount);
  });
  if (trees.length === 0) throw new ImportError(`${source} holds no trees`);
  const version = header.get('version');
  return {
    framework: 'lightgbm',
    frameworkVersion: version === undefined ? undefined : `model format ${version}`,
    featureNamesInModel: !generated,
    categoricalFeatures: [
      ...new Set(
        trees.flatMap((tree) =>
          tree.feature.filter((_, node) => tree.categories?.[node] !== null && tree.categories !== undefined),
        ),
      ),
    ].sort((a, b) => a - b),
    notes: [],
    model: {
      format: 'trees/v1',
      source: 'lightgbm',
      task,
      objective,
      baseMargin: 0,
      comparison: 'less-or-equal',
      arithmetic: 'float64',
      categorySetGoes: 'left',
      featureNames: generated ? generatedFeatureNames(featureCount) : names,
      trees,
    },
  };
}
