/**
 * First start: with no users at all, create `admin` with the Owner role. The password is
 * `auth.adminPassword` (LAZARET_ADMIN_PASSWORD) or generated; a generated one is logged once,
 * on its own clear line, and written to `<dataDir>/initial-admin-password` (mode 0600) so an
 * operator who missed the log can still read it. Delete that file after changing the password.
 *
 * Several nodes starting at once: users.create is atomic, so exactly one creates `admin`; the
 * others find it exists and do nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoreRoles, TransactionalStore } from '../metadata/metadata-store.ts';
import type { IdentityRoles } from './store/index.ts';
import { generateSecret, hashPassword } from './passwords.ts';

export const ADMIN_USER = 'admin';
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export async function bootstrapAdmin(options: { store: TransactionalStore<CoreRoles & IdentityRoles>; logger: Logger; dataDir: string; adminPassword?: string }): Promise<void> {
  const { store, logger } = options;
  if ((await store.users.count()) > 0) return;
  const generated = options.adminPassword === undefined;
  const password = options.adminPassword ?? generateSecret();
  const created = await store.transaction(async (tx) => {
    const user = await tx.users.create(ADMIN_USER, await hashPassword(password));
    if (!user) return false;
    await tx.roleAssignments.add(user.id, 'Owner');
    await tx.audit.append({ actor: 'system', action: 'user.create', target: `user:${ADMIN_USER}`, after: { roles: ['Owner'] }, details: { bootstrap: true, generatedPassword: generated } });
    return true;
  });
  if (!created) return;
  if (!generated) {
    logger.info({ user: ADMIN_USER }, 'created the initial admin user (Owner) with the password from auth.adminPassword');
    return;
  }
  const file = join(options.dataDir, INITIAL_PASSWORD_FILE);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  logger.warn({ user: ADMIN_USER, passwordFile: file }, `created the initial admin user "${ADMIN_USER}" (Owner). Its password: ${password} (also in ${file}; shown once; change it with \`lazaret user set-password admin\`)`);
}
