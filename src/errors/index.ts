/** The errors module's entry: other modules import from here (scripts/check-boundaries.mjs). */
export * from './from-storage-error.ts';
export * from './registry-error.ts';
export * from './registry.ts';
