/**
 * `lazaret scanner db import|status|push|pull`: the built-in scanner's vulnerability database
 * (docs/scanner.md). They work on the scanner data directory (`--data-dir`, else
 * LAZARET_SCANNER_DATA_DIR, else <LAZARET_DATA_DIR>/scanner) and may run while
 * `lazaret scanner serve` runs: it picks up the new data at its next scan.
 *
 * push/pull take an image reference `[http(s)://]HOST[:PORT]/REPOSITORY[:TAG]`; credentials
 * come from -u/-p, LAZARET_USERNAME/LAZARET_PASSWORD, or what `lazaret login` stored for HOST.
 */
import type { Command } from 'commander';
import { CliError, printResult } from '../api-client.ts';
import { storedCredential } from './login.ts';
import type { ImportProgress } from '../../scanner/vulndb/index.ts';
import type { Credentials } from '../../scanner/vulndb/bundle/registry-client.ts';
import type { BundleReference } from '../../scanner/vulndb/bundle/reference.ts';
import { scannerDataDir } from '../../scanner/vulndb/paths.ts';

// The database code (SQLite, zip, CVSS, progress bar) loads only when a db command runs, so
// every other `lazaret` command starts as fast as before.
const vulndb = () => import('../../scanner/vulndb/index.ts');

interface DirOpts {
  dataDir?: string;
  output?: string;
}

interface RegistryOpts extends DirOpts {
  username?: string;
  password?: string;
  plainHttp?: boolean;
}

const dataDirOf = (opts: DirOpts) => opts.dataDir ?? scannerDataDir();

function credentialsFor(registry: string, opts: RegistryOpts): Credentials | undefined {
  const stored = storedCredential(registry);
  const username = opts.username ?? process.env.LAZARET_USERNAME ?? stored?.username;
  const password = opts.password ?? process.env.LAZARET_PASSWORD ?? stored?.password;
  return username ? { username, password: password ?? '' } : undefined;
}

/** A progress bar on a terminal; one line per file otherwise (logs, CI). */
async function progressReporter(): Promise<{ update: (p: ImportProgress) => void; stop: () => void }> {
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress');
    const bar = new cliProgress.SingleBar(
      { format: 'importing [{bar}] {percentage}% | {value}/{total} files | {advisories} advisories | {file}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.total, 0, { advisories: 0, file: '' });
          started = true;
        }
        bar.update(p.done, { advisories: p.advisories, file: p.file.split('/').pop() });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastFile = '';
  return {
    update(p) {
      if (p.file !== lastFile || p.done === p.total) console.error(`importing ${p.file}: ${p.done}/${p.total}, ${p.advisories} advisories`);
      lastFile = p.file;
    },
    stop() {},
  };
}

function withDir<T extends Command>(cmd: T): T {
  return cmd.option('--data-dir <dir>', 'scanner data directory (env LAZARET_SCANNER_DATA_DIR, default <LAZARET_DATA_DIR>/scanner)').option('-o, --output <format>', 'table or json', 'table') as T;
}

function withRegistry<T extends Command>(cmd: T): T {
  return withDir(cmd)
    .option('-u, --username <user>', 'registry user or token name (env LAZARET_USERNAME)')
    .option('-p, --password <password>', 'password (env LAZARET_PASSWORD)')
    .option('--plain-http', 'use http even for a non-loopback registry') as T;
}

export function registerScannerDb(group: Command) {
  const db = group.command('db').description("the built-in scanner's vulnerability database");

  withDir(db.command('import').argument('<paths...>', 'feed files or directories: OSV JSON or all.zip, Debian tracker JSON, Alpine secdb JSON'))
    .description('import vulnerability feeds (the sources they hold are replaced; others are kept)')
    .option('--replace', 'start from an empty database (drop every source not in these feeds)')
    .action(async (paths: string[], opts: DirOpts & { replace?: boolean }) => {
      const progress = await progressReporter();
      const { importFeeds } = await vulndb();
      let result;
      try {
        result = await importFeeds({ dir: dataDirOf(opts), paths, replace: opts.replace, onProgress: progress.update });
      } catch (err) {
        throw new CliError(`import failed, the database in use is unchanged: ${(err as Error).message}`);
      } finally {
        progress.stop();
      }
      printResult(opts.output, result, result.sources.map((s) => ({ source: s.name, advisories: s.advisories, builtAt: s.builtAt ?? '' })));
      for (const [eco, n] of Object.entries(result.skippedEcosystems)) console.error(`note: ${n} affected entries of ecosystem ${eco} skipped (not matched by this scanner)`);
    });

  withDir(db.command('status'))
    .description('what the database holds: sources, advisories, build and import times')
    .action(async (opts: DirOpts) => {
      const { describeDatabase } = await vulndb();
      const d = describeDatabase(dataDirOf(opts));
      if (opts.output === 'json') return printResult('json', d);
      if (!d.loaded) {
        console.log(`no vulnerability database in ${d.path}: scans fail closed until one is imported or pulled`);
        return;
      }
      console.log(`database   ${d.path}`);
      console.log(`generation ${d.generation}`);
      console.log(`built      ${d.builtAt ?? 'unknown'}`);
      console.log(`imported   ${d.importedAt ?? 'unknown'}`);
      if (d.pulledFrom) console.log(`pulled     ${d.pulledFrom}`);
      console.log(`advisories ${d.advisories}`);
      printResult('table', d, d.sources.map((s) => ({ source: s.name, advisories: s.advisories, builtAt: s.builtAt ?? '', importedAt: s.importedAt })));
    });

  withRegistry(db.command('push').argument('<ref>', 'HOST[:PORT]/REPOSITORY[:TAG]'))
    .description('push the database as an OCI artifact (a bundle other scanners can pull)')
    .action(async (refText: string, opts: RegistryOpts) => {
      const ref = await parseRef(refText, opts);
      const { pushBundle } = await vulndb();
      try {
        const r = await pushBundle({ dir: dataDirOf(opts), ref, credentials: credentialsFor(ref.registry, opts) });
        printResult(opts.output, r, [{ pushed: `${ref.repository}:${ref.reference}`, digest: r.digest ?? '', size: r.size, sources: r.sources.join(',') }]);
      } catch (err) {
        throw new CliError(`push failed: ${(err as Error).message}`);
      }
    });

  withRegistry(db.command('pull').argument('<ref>', 'HOST[:PORT]/REPOSITORY[:TAG|@DIGEST]'))
    .description('pull a database bundle and use it (replaces the whole database)')
    .action(async (refText: string, opts: RegistryOpts) => {
      const ref = await parseRef(refText, opts);
      const { pullBundle } = await vulndb();
      try {
        const r = await pullBundle({ dir: dataDirOf(opts), ref, credentials: credentialsFor(ref.registry, opts) });
        printResult(opts.output, r, [{ pulled: `${ref.repository}@${r.digest ?? ref.reference}`, generation: r.generation, builtAt: r.builtAt ?? '', sources: r.sources.join(',') }]);
      } catch (err) {
        throw new CliError(`pull failed, the database in use is unchanged: ${(err as Error).message}`);
      }
    });
}

async function parseRef(text: string, opts: RegistryOpts): Promise<BundleReference> {
  const { parseBundleReference } = await vulndb();
  try {
    return parseBundleReference(text, { plainHttp: opts.plainHttp });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
