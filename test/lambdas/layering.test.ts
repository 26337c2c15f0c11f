import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const REPO = resolve(__dirname, '../..');
const LAMBDAS = join(REPO, 'lambdas');
/** Where a function's code may reach besides its own folder. */
const SHARED_PLACES = ['lambdas/shared', 'core', 'adapters'];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative import and export specifiers of a file, resolved to repository paths. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\(|require\()\s*'(\.[^']*)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) =>
    relative(REPO, resolve(dirname(file), specifier))
      .split(sep)
      .join('/'),
  );
}

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/** Every import that leaves its function's folder for another function's folder (or anywhere else not shared). */
function strayImports(): string[] {
  const stray: string[] = [];
  for (const file of sourceFiles(LAMBDAS)) {
    const from = relative(REPO, file).split(sep).join('/');
    const ownFolder = from.split('/').slice(0, 2).join('/');
    const allowed =
      ownFolder === 'lambdas/shared' ? ['lambdas/shared', 'core', 'adapters'] : [ownFolder, ...SHARED_PLACES];
    for (const target of relativeImports(file)) {
      if (!allowed.some((folder) => isInside(target, folder))) stray.push(`${from} -> ${target}`);
    }
  }
  return stray;
}

describe('lambdas layering', () => {
  it("imports nothing from another function's folder: only its own, lambdas/shared, core and adapters", () => {
    expect(strayImports()).toEqual([]);
  });
});
