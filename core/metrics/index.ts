export * from './binary';
export * from './regression';
