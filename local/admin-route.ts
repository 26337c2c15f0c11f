/**
 * Path prefix of the local admin routes on the HTTP port (not a model name: model names cannot
 * start with _). A module of its own so the command line reaches it without loading the platform.
 */
export const ADMIN_ROUTE = '_local';
