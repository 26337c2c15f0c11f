/**
 * XGBoost model files (`save_model("model.json")` or `"model.ubj"`) to our `trees` model kind.
 * Follows XGBoost's published JSON schema (doc/model.schema in its repository) across versions:
 * 1.x writes numbers in `learner_model_param` as strings ("5E-1") and `default_left` as 0/1;
 * 2.x/3.x write `base_score` as a vector string ("[5E-1]") and may write booleans; UBJSON holds the
 * same document with typed arrays. Categorical splits (`split_type` 1) carry their category sets in
 * `categories`, indexed by `categories_nodes`, `categories_segments` and `categories_sizes`.
 */
import type { ImportedTreeJson } from '../learners/trees';
import { ImportError } from './import-error';
import { generatedFeatureNames, type ImportedModel, SUPPORTED_OBJECTIVES } from './imported-model';
import { decodeUbjson } from './ubjson';

type Json = Record<string, unknown>;

/**
 * JSON.parse after turning XGBoost's bare NaN / Infinity / -Infinity (written for categorical
 * splits' unused thresholds and for the sklearn attributes) into values JSON can hold:
 * NaN becomes null, and the infinities 1e999 and -1e999, which JSON.parse reads as +-Infinity.
 */
export function parseLenientJson(text: string, source: string): unknown {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    const replace = (token: string, by: string) => {
      if (!text.startsWith(token, i)) return false;
      out += text.slice(last, i) + by;
      i += token.length - 1;
      last = i + 1;
      return true;
    };
    if (c === 'N') replace('NaN', 'null');
    else if (c === 'I') replace('Infinity', '1e999');
  }
  out += text.slice(last);
  try {
    return JSON.parse(out);
  } catch (error) {
    throw new ImportError(`${source} is not valid JSON: ${(error as Error).message}`);
  }
}

function looksLikeLightgbm(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  return /^tree\r?\n/.test(head) || /^version=v\d/m.test(head);
}

/** Reads the document: JSON when the first key is quoted text, UBJSON when it is a length marker. */
function readDocument(bytes: Uint8Array, source: string): unknown {
  if (looksLikeLightgbm(bytes)) {
    throw new ImportError(`${source} looks like a LightGBM text model, not XGBoost; use --framework lightgbm`);
  }
  let first = 0;
  while (first < bytes.length && ' \t\r\n'.includes(String.fromCharCode(bytes[first]))) first++;
  if (bytes[first] !== 0x7b /* { */) {
    throw new ImportError(`${source} is neither XGBoost JSON nor UBJSON (it does not start with an object)`);
  }
  let next = first + 1;
  while (next < bytes.length && ' \t\r\n'.includes(String.fromCharCode(bytes[next]))) next++;
  const isJson = bytes[next] === 0x22 /* " */ || bytes[next] === 0x7d; /* } */
  if (isJson) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ImportError(`${source} is not UTF-8 text`);
    }
    return parseLenientJson(text, source);
  }
  return decodeUbjson(bytes, source);
}

/** A number that XGBoost may have written as a number, a string ("5E-1") or a vector string ("[5E-1]"). */
export function xgboostScalar(value: unknown, field: string, source: string): number {
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) {
    if (value.length !== 1)
      throw new ImportError(`${source}: ${field} has ${value.length} values; only one target is supported`);
    return xgboostScalar(value[0], field, source);
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
      const parts = trimmed
        .slice(1, -1)
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      if (parts.length !== 1) throw new ImportError(`${source}: ${field} is "${value}"; only one target is supported`);
      return xgboostScalar(parts[0], field, source);
    }
    const parsed = Number(trimmed);
    if (trimmed !== '' && !Number.isNaN(parsed)) return parsed;
  }
  throw new ImportError(`${source}: ${field} is ${JSON.stringify(value)}, not a number`);
}

function objectAt(parent: unknown, path: string, source: string): Json {
  let node: unknown = parent;
  for (const key of path.split('.')) {
    node = typeof node === 'object' && node !== null && Object.hasOwn(node, key) ? (node as Json)[key] : undefined;
  }
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    throw new ImportError(`${source} is not an XGBoost model: it has no "${path}" object`);
  }
  return node as Json;
}

function numberArray(tree: Json, key: string, t: number, source: string, optional = false): number[] {
  const value = tree[key];
  if (value === undefined && optional) return [];
  if (!Array.isArray(value)) throw new ImportError(`${source}: tree ${t} has no "${key}" array; the file is corrupt`);
  return value.map((item, i) => {
    if (item === null) return Number.NaN;
    if (typeof item === 'boolean') return item ? 1 : 0;
    if (typeof item !== 'number') throw new ImportError(`${source}: tree ${t} ${key}[${i}] is not a number`);
    return item;
  });
}

/** One XGBoost tree as our node arrays, renumbered from the root so deleted nodes drop out. */
function convertTree(tree: Json, t: number, featureCount: number, source: string): ImportedTreeJson {
  const left = numberArray(tree, 'left_children', t, source);
  const right = numberArray(tree, 'right_children', t, source);
  const splitIndex = numberArray(tree, 'split_indices', t, source);
  const splitCondition = numberArray(tree, 'split_conditions', t, source);
  const defaultLeft = numberArray(tree, 'default_left', t, source);
  const hessian = numberArray(tree, 'sum_hessian', t, source);
  const splitType = numberArray(tree, 'split_type', t, source, true);
  const n = left.length;
  const columns = {
    right,
    split_indices: splitIndex,
    split_conditions: splitCondition,
    default_left: defaultLeft,
    sum_hessian: hessian,
  };
  for (const [name, column] of Object.entries(columns)) {
    if (column.length !== n)
      throw new ImportError(`${source}: tree ${t} has ${column.length} ${name} for ${n} nodes; the file is corrupt`);
  }
  if (n === 0) throw new ImportError(`${source}: tree ${t} has no nodes; the file is corrupt`);

  const categoryOf = new Map<number, number[]>();
  const categoryNodes = numberArray(tree, 'categories_nodes', t, source, true);
  if (categoryNodes.length > 0) {
    const categories = numberArray(tree, 'categories', t, source);
    const segments = numberArray(tree, 'categories_segments', t, source);
    const sizes = numberArray(tree, 'categories_sizes', t, source);
    categoryNodes.forEach((node, k) => {
      const start = segments[k];
      const size = sizes[k];
      if (!(start >= 0 && size >= 0 && start + size <= categories.length)) {
        throw new ImportError(`${source}: tree ${t} categories of node ${node} fall outside the categories array`);
      }
      categoryOf.set(node, categories.slice(start, start + size));
    });
  }

  const out: ImportedTreeJson = {
    left: [],
    right: [],
    feature: [],
    threshold: [],
    value: [],
    cover: [],
    defaultLeft: [],
  };
  const categories: Array<number[] | null> = [];
  // Breadth-first from the root; `order[k]` is the source node that becomes node k.
  const order = [0];
  const visited = new Uint8Array(n);
  for (let k = 0; k < order.length; k++) {
    const source_ = order[k];
    if (source_ < 0 || source_ >= n || visited[source_]) {
      throw new ImportError(`${source}: tree ${t} links node ${source_} twice or out of range; the file is corrupt`);
    }
    visited[source_] = 1;
    out.cover.push(hessian[source_]);
    if (left[source_] === -1) {
      out.left.push(-1);
      out.right.push(-1);
      out.feature.push(-1);
      out.threshold.push(0);
      out.value.push(splitCondition[source_]);
      out.defaultLeft.push(0);
      categories.push(null);
      continue;
    }
    const feature = splitIndex[source_];
    if (!(Number.isInteger(feature) && feature >= 0 && feature < featureCount)) {
      throw new ImportError(
        `${source}: tree ${t} node ${source_} splits on feature ${feature}, but the model has ${featureCount}`,
      );
    }
    const isCategorical = splitType[source_] === 1;
    const set = categoryOf.get(source_);
    if (isCategorical && !set)
      throw new ImportError(`${source}: tree ${t} node ${source_} is a categorical split with no categories`);
    out.left.push(order.length);
    out.right.push(order.length + 1);
    order.push(left[source_], right[source_]);
    out.feature.push(feature);
    out.threshold.push(isCategorical ? 0 : splitCondition[source_]);
    out.value.push(0);
    out.defaultLeft.push(defaultLeft[source_] ? 1 : 0);
    categories.push(isCategorical && set ? set : null);
  }
  if (categories.some((set) => set !== null)) out.categories = categories;
  if (out.threshold.some((value) => !Number.isFinite(value)) || out.value.some((value) => !Number.isFinite(value))) {
    throw new ImportError(`${source}: tree ${t} has a threshold or leaf value that is not a finite number`);
  }
  return out;
}

export function parseXgboostModel(bytes: Uint8Array, source = 'the model file'): ImportedModel {
  const document = readDocument(bytes, source);
  if (typeof document !== 'object' || document === null || !Object.hasOwn(document, 'learner')) {
    throw new ImportError(`${source} is not an XGBoost model: it has no "learner" object`);
  }
  const learner = objectAt(document, 'learner', source);
  const objective = objectAt(learner, 'objective', source).name;
  const param = objectAt(learner, 'learner_model_param', source);
  const booster = objectAt(learner, 'gradient_booster', source);
  const notes: string[] = [];

  const numClass = param.num_class === undefined ? 0 : xgboostScalar(param.num_class, 'num_class', source);
  if (typeof objective !== 'string') throw new ImportError(`${source}: learner.objective.name is missing`);
  if (numClass > 1 || objective.startsWith('multi:')) {
    throw new ImportError(
      `${source}: multi-class objective "${objective}" (${numClass} classes) is not supported; supported objectives: ${SUPPORTED_OBJECTIVES.xgboost.join(', ')}`,
    );
  }
  if (!(SUPPORTED_OBJECTIVES.xgboost as readonly string[]).includes(objective)) {
    throw new ImportError(
      `${source}: objective "${objective}" is not supported; supported objectives: ${SUPPORTED_OBJECTIVES.xgboost.join(', ')}`,
    );
  }
  if (param.num_target !== undefined && xgboostScalar(param.num_target, 'num_target', source) > 1) {
    throw new ImportError(`${source}: multi-target models (num_target ${String(param.num_target)}) are not supported`);
  }
  if (booster.name !== 'gbtree') {
    throw new ImportError(
      `${source}: booster "${String(booster.name)}" is not supported; only gbtree (dart scales its trees, gblinear has none)`,
    );
  }
  const task = objective === 'binary:logistic' ? 'binary' : 'regression';
  const baseScore = xgboostScalar(param.base_score ?? 0.5, 'base_score', source);
  if (task === 'binary' && !(baseScore > 0 && baseScore < 1)) {
    throw new ImportError(`${source}: base_score ${baseScore} is not a probability strictly between 0 and 1`);
  }
  // XGBoost turns base_score into a margin in float32: -logf(1 / p - 1) (+ 0 turns -0 into 0).
  const baseMargin =
    0 +
    (task === 'binary'
      ? Math.fround(-Math.log(Math.fround(Math.fround(1 / Math.fround(baseScore)) - 1)))
      : Math.fround(baseScore));

  const featureCount = xgboostScalar(param.num_feature, 'num_feature', source);
  if (!(Number.isInteger(featureCount) && featureCount > 0)) {
    throw new ImportError(`${source}: num_feature is ${String(param.num_feature)}, not a positive count`);
  }
  const names = Array.isArray(learner.feature_names) ? learner.feature_names : [];
  if (names.length > 0 && (names.length !== featureCount || names.some((name) => typeof name !== 'string'))) {
    throw new ImportError(`${source}: feature_names lists ${names.length} names for num_feature ${featureCount}`);
  }
  const types = Array.isArray(learner.feature_types) ? learner.feature_types : [];
  const categoricalFeatures = types.flatMap((type, i) => (type === 'c' ? [i] : []));

  const gbtree = objectAt(booster, 'model', source);
  const trees = gbtree.trees;
  if (!Array.isArray(trees)) throw new ImportError(`${source}: gradient_booster.model has no "trees" array`);
  const treeInfo = Array.isArray(gbtree.tree_info) ? gbtree.tree_info : [];
  if (treeInfo.some((group) => group !== 0)) {
    throw new ImportError(
      `${source}: trees belong to more than one output group; multi-class models are not supported`,
    );
  }
  const converted = trees.map((tree, t) => {
    if (typeof tree !== 'object' || tree === null) throw new ImportError(`${source}: tree ${t} is not an object`);
    return convertTree(tree as Json, t, featureCount, source);
  });
  const attributes =
    typeof learner.attributes === 'object' && learner.attributes !== null ? (learner.attributes as Json) : {};
  if (typeof attributes.best_iteration === 'string' && Number(attributes.best_iteration) + 1 < converted.length) {
    notes.push(
      `the model records best_iteration ${attributes.best_iteration} of ${converted.length} trees; every tree is imported, as Booster.predict uses them (the sklearn wrapper would stop at the best iteration)`,
    );
  }
  const version = Array.isArray((document as Json).version)
    ? ((document as Json).version as unknown[]).join('.')
    : undefined;
  return {
    framework: 'xgboost',
    frameworkVersion: version,
    featureNamesInModel: names.length > 0,
    categoricalFeatures,
    notes,
    model: {
      format: 'trees/v1',
      source: 'xgboost',
      task,
      objective,
      baseMargin,
      comparison: 'less',
      arithmetic: 'float32',
      categorySetGoes: 'right',
      featureNames: names.length > 0 ? (names as string[]) : generatedFeatureNames(featureCount),
      trees: converted,
    },
  };
}
