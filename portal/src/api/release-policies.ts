/**
 * Release policies and "why held" (src/release-policy/routes.ts, evaluation-routes.ts;
 * docs/release-policy.md). Read-only: policies are applied with `lazaret policy apply`.
 */
import type { Static } from 'typebox';
import type { ReleasePolicyList, ReleasePolicyView as ReleasePolicySchema, WhyHeldView } from '../../../src/release-policy/policy-schemas.ts';
import { api, ApiError } from './client.ts';

/**
 * The wire types are the server's own schemas (src/release-policy/policy-schemas.ts), imported
 * as types only: nothing of the server reaches the bundle, and a change of shape there fails
 * the portal's type check here.
 */
export type ReleasePolicyView = Static<typeof ReleasePolicySchema>;
export type WhyHeld = Static<typeof WhyHeldView>;

export async function listReleasePolicies(): Promise<ReleasePolicyView[]> {
  return (await api<Static<typeof ReleasePolicyList>>('/api/v1/release-policies')).policies;
}

/** Why an image is held; null when the registry answers 404 (missing, or not for this identity to see). */
export async function whyHeld(repository: string, digest: string): Promise<WhyHeld | null> {
  try {
    return await api<WhyHeld>(`/api/v1/quarantine/why-held?repository=${encodeURIComponent(repository)}&digest=${encodeURIComponent(digest)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
