export * from './feature-view-schema';
export * from './load';
export * from './parse';
export * from './runtime-env';
export * from './schema';
export * from './trainer-params';
