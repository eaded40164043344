/**
 * Release policies and "why held" (src/release-policy/routes.ts, evaluation-routes.ts;
 * docs/release-policy.md). Read-only: policies are applied with `lazaret policy apply`.
 */
import { api, ApiError } from './client.ts';

export interface RuleView {
  name: string;
  kind: string;
  text: string;
}

export interface ReleasePolicyView {
  name: string;
  version: number;
  description?: string;
  repositories: string[];
  enabled: boolean;
  onViolation: string;
  gracePeriod?: string;
  exceptions: { requireApproval: boolean };
  rules: RuleView[];
  updatedAt: string;
  updatedBy: string;
}

export interface RuleResult {
  rule: string;
  kind: string;
  passed: boolean;
  pending?: boolean;
  reason: string;
}

export interface WhyHeld {
  repository: string;
  digest: string;
  quarantineState: string | null;
  held: boolean;
  governedBy: { kind: 'release-policy'; name: string; version: number; pattern: string } | { kind: 'registry-wide' } | null;
  evaluation?: { policy: string; version: number; passed: boolean; evaluatedAt: string; violatingSince?: string; requarantineAt?: string; rules: RuleResult[] };
}

export async function listReleasePolicies(): Promise<ReleasePolicyView[]> {
  return (await api<{ policies: ReleasePolicyView[] }>('/api/v1/release-policies')).policies;
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
