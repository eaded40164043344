import type { Scenario } from '../lib/scenario.ts';
import { pushSmall, pushBig, pushChunked } from './blob-push.ts';
import { pullBig, blobHead } from './blob-pull.ts';
import { manifestPut, manifestGetTag, manifestGetDigest } from './manifests.ts';
import { tagsList, catalog } from './lists.ts';
import { tokenEndpoint } from './token.ts';
import { loginFlood } from './login-flood.ts';

/** In the order they run within a round. */
export const SCENARIOS: Scenario[] = [
  pushSmall, pushBig, pushChunked, pullBig, blobHead,
  manifestPut, manifestGetTag, manifestGetDigest, tagsList, catalog, tokenEndpoint, loginFlood,
];
