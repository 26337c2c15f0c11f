/** A model file that cannot be imported: wrong framework, corrupt, or unsupported. Exit code 2. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}
