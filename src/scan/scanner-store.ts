/**
 * Registered scanners (contract; Kysely implementation in sql-scanners.ts). A scanner is a
 * Harbor Pluggable Scanner API adapter: its URL, how to authenticate to it (the secret is
 * write-only: stored, used, never returned), which repositories it covers, and its health as
 * the registry last saw it.
 */
export const SCANNER_AUTH_KINDS = ['none', 'basic', 'bearer', 'api-key'] as const;
export type ScannerAuthKind = (typeof SCANNER_AUTH_KINDS)[number];
export type ScannerHealth = 'unknown' | 'healthy' | 'unreachable' | 'invalid';

export interface ScannerRecord {
  name: string;
  url: string;
  authKind: ScannerAuthKind;
  /** Basic `user:password`, the bearer token or the API key; absent for `none`. */
  authSecret?: string;
  patterns: string[];
  isDefault: boolean;
  enabled: boolean;
  health: ScannerHealth;
  healthMessage?: string;
  checkedAt?: Date;
  unreachableSince?: Date;
  /** The adapter's metadata document, as last read. */
  metadata?: unknown;
  /** When the adapter's vulnerability database was last updated, as it reported. */
  dbUpdatedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScannerInput {
  url: string;
  authKind: ScannerAuthKind;
  authSecret?: string;
  patterns: string[];
  isDefault: boolean;
  enabled: boolean;
}

export interface HealthReport {
  health: ScannerHealth;
  message?: string;
  metadata?: unknown;
  dbUpdatedAt?: Date;
  at: Date;
}

export interface ScannerStore {
  /** undefined when the name is taken. Making one default clears the others' flag. */
  create(name: string, input: ScannerInput): Promise<ScannerRecord | undefined>;
  get(name: string): Promise<ScannerRecord | undefined>;
  /** By name. */
  list(): Promise<ScannerRecord[]>;
  update(name: string, patch: Partial<ScannerInput>): Promise<ScannerRecord | undefined>;
  delete(name: string): Promise<boolean>;
  /** Records a health check; `unreachableSince` is kept across consecutive failures. */
  setHealth(name: string, report: HealthReport): Promise<ScannerRecord | undefined>;
}
