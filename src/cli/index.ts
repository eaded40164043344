/**
 * The `lazaret` command. One file per command group under commands/; each exports
 * `register(program)`. Admin commands talk to a running registry through its public APIs
 * (src/cli/api-client.ts), never to its stores.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerServe } from './commands/serve.ts';
import { registerConfig } from './commands/config.ts';
import { registerQuarantine } from './commands/quarantine.ts';
import { registerManifest } from './commands/manifest.ts';
import { registerRepository } from './commands/repository.ts';
import { registerAudit } from './commands/audit.ts';
import { registerWebhook } from './commands/webhook.ts';
import { registerLogin } from './commands/login.ts';
import { registerUser } from './commands/user.ts';
import { registerRole } from './commands/role.ts';
import { registerToken } from './commands/token.ts';
import { registerScopeMap } from './commands/scope-map.ts';
import { registerIssuer } from './commands/issuer.ts';
import { registerAnonymous } from './commands/anonymous.ts';
import { registerScanner } from './commands/scanner.ts';
import { registerScan } from './commands/scan.ts';
import { registerStatus } from './commands/status.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerBackup } from './commands/backup.ts';
import { registerStorage } from './commands/storage.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerGc } from './commands/gc.ts';
import { registerRetention } from './commands/retention.ts';
import { registerRecycleBin } from './commands/recycle-bin.ts';
import { registerQuota } from './commands/quota.ts';
import { registerImage } from './commands/image.ts';

/** The package version, from src/cli/ (run from source) or dist/ (the compiled build); never throws. */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lazaret' && pkg.version) return pkg.version;
    } catch {
      /* not there: try the next */
    }
  }
  return 'unknown';
}
const version = packageVersion();

const program = new Command('lazaret')
  .description('Lazaret: an OCI registry with a quarantine gate')
  .version(version, '-V, --version', 'print the version')
  .showHelpAfterError()
  .enablePositionalOptions();

for (const register of [registerServe, registerConfig, registerQuarantine, registerManifest, registerRepository, registerAudit, registerLogin, registerUser, registerRole, registerToken, registerScopeMap, registerIssuer, registerAnonymous, registerWebhook, registerScanner, registerScan, registerStatus, registerMigrate, registerBackup, registerStorage, registerPolicy, registerGc, registerRetention, registerRecycleBin, registerQuota, registerImage]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
