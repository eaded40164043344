/**
 * The vulnerability database of the built-in scanner (docs/scanner.md): import of public feeds,
 * per-ecosystem version ordering, matching of inventories, re-matching after a change, and
 * database bundles as OCI artifacts. The scanner server uses only what this file exports.
 */
export { openVulnDatabase, type OpenOptions } from './database.ts';
export { importFeeds, type ImportOptions, type ImportProgress, type ImportResult } from './import.ts';
export { rematch, diffFindings, findingIdentity, type StoredScan, type RematchChange } from './rematch.ts';
export { scannerDataDir, databaseFile } from './paths.ts';
export { FeedError } from './records.ts';
export { describeDatabase, type DatabaseDescription } from './describe.ts';
export { pushBundle, type PushResult } from './bundle/push.ts';
export { pullBundle, type PullResult } from './bundle/pull.ts';
export { parseBundleReference, type BundleReference } from './bundle/reference.ts';
export { BUNDLE_ARTIFACT_TYPE, BUNDLE_LAYER_MEDIA_TYPE } from './bundle/media-types.ts';
