/**
 * The scan module's tables (migration 005-scan): registered scanners,
 * scan jobs (the durable queue the dispatcher claims from) and the report artifacts the
 * orchestrator pushed as referrers (whose verdicts follow their subject's).
 */
import type { CoreTables } from '../../metadata/tables/index.ts';

export interface ScannersTable {
  name: string;
  url: string;
  /** `none` | `basic` | `bearer` | `api-key`. */
  auth_kind: string;
  /** Write-only: Basic `user:password`, the bearer token or the API key. Never returned. */
  auth_secret: string | null;
  /** JSON array of repository patterns (src/access/patterns.ts). */
  patterns: string;
  is_default: number;
  enabled: number;
  /** `unknown` | `healthy` | `unreachable` | `invalid`. */
  health: string;
  health_message: string | null;
  checked_at: number | null;
  unreachable_since: number | null;
  /** The adapter's last metadata document (JSON). */
  metadata: string | null;
  /** `harbor.scanner-adapter/vulnerability-database-updated-at` in ms, when reported. */
  db_updated_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ScanJobsTable {
  id: string;
  repository: string;
  digest: string;
  media_type: string;
  /** `image` (sent to a scanner) | `index` (verdict derived from its children). */
  kind: string;
  /** Why it exists: `push` | `rescan` | `backlog` | `manual` | `db-update`. */
  reason: string;
  scanner: string | null;
  /** `pending` | `submitted` | `succeeded` | `failed` | `cancelled`. */
  state: string;
  attempts: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  adapter_job_id: string | null;
  submitted_at: number | null;
  /** What the queue shows: "waiting for scanner X: unreachable since 10:42". */
  status_message: string | null;
  /** sha256 (base64url) of the job's pull secret; null once the job ended. */
  credential_hash: string | null;
  credential_expires_at: number | null;
  /** JSON {counts: {Critical: n, ...}, failed: boolean, topFindings: [...]} once finished. */
  summary: string | null;
  /** The vulnerability report (Harbor 1.1 JSON) as received. */
  report: string | null;
  /** The scanner's database time the report was made with (ms). */
  db_updated_at: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface ScanArtifactsTable {
  repository: string;
  /** The artifact manifest's digest. */
  digest: string;
  subject: string;
  artifact_type: string;
  job_id: string;
  created_at: number;
}

export interface ScanTables {
  scanners: ScannersTable;
  scan_jobs: ScanJobsTable;
  scan_artifacts: ScanArtifactsTable;
}

/** What the scan SQL sees: its own tables and the content core's. */
export interface ScanDatabase extends CoreTables, ScanTables {}
