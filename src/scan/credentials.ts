/**
 * The short-lived credential each scan job hands its scanner (`registry.authorization` of the
 * scan request), as Harbor hands out a throw-away robot account:
 *
 * - user name `scan~<jobId>` (`~` is outside the user/token name alphabet, so it can never
 *   be a user's or token's name), password 32 random bytes in base64url (never a `:`, which
 *   the Trivy adapter splits Basic credentials on);
 * - it grants `pull` and `quarantine_read` on exactly the job's repository and nothing else
 *   (no push, no catalog, no other repository), so the scanner can read the held image;
 * - it works only while the job is active (pending or submitted) and before its expiry (the
 *   job's finish timeout): tokens minted from it stop at the next verification once the job
 *   ended, because every token of it is re-resolved through `bySubject`.
 * Only the sha256 of the password is stored (in the job row).
 */
import type { Grants } from '../access/policy.ts';
import type { CredentialSource, Identity } from '../auth/identities.ts';
import { credentialFingerprint } from '../auth/identities.ts';
import { generateSecret, hashSecret, verifySecret } from '../auth/passwords.ts';
import type { ScanJobStore } from './job-store.ts';

export const SCAN_USER_PREFIX = 'scan~';
const SUBJECT_PREFIX = 'scan:';

export interface MintedCredential {
  username: string;
  password: string;
  hash: string;
  /** `Basic base64(username:password)`, what the scan request carries. */
  authorization: string;
}

export function mintScanCredential(jobId: string): MintedCredential {
  const username = `${SCAN_USER_PREFIX}${jobId}`;
  const password = generateSecret();
  return { username, password, hash: hashSecret(password), authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

export function scanCredentialSource(jobs: () => ScanJobStore): CredentialSource {
  async function identityOf(jobId: string): Promise<{ identity: Identity; hash: string } | undefined> {
    const c = await jobs().credential(jobId);
    if (!c || (c.state !== 'pending' && c.state !== 'submitted') || c.expiresAt.getTime() <= Date.now()) return undefined;
    const name = `${SCAN_USER_PREFIX}${jobId}`;
    const grants: Grants = { repository: [{ pattern: c.repository, actions: ['pull', 'quarantine_read'] }], registry: [] };
    return {
      hash: c.hash,
      identity: { principal: { kind: 'token', id: `${SUBJECT_PREFIX}${jobId}`, name }, grants, subject: { sub: `${SUBJECT_PREFIX}${jobId}`, kind: 'token', name, cred: credentialFingerprint(c.hash) } },
    };
  }
  return {
    unguessable: true,
    ownsUsername: (u) => u.startsWith(SCAN_USER_PREFIX),
    async byPassword(username, password) {
      const found = await identityOf(username.slice(SCAN_USER_PREFIX.length));
      return found && verifySecret(password, found.hash) ? found.identity : undefined;
    },
    ownsSubject: (sub) => sub.startsWith(SUBJECT_PREFIX),
    async bySubject(sub, cred) {
      const found = await identityOf(sub.slice(SUBJECT_PREFIX.length));
      return found && cred !== undefined && found.identity.subject.cred === cred ? found.identity : undefined;
    },
  };
}
