/** The oci module's entry: other modules import from here (scripts/check-boundaries.mjs). */
export * from './digest.ts';
export * from './manifest.ts';
export * from './media-types.ts';
export * from './name.ts';
