/**
 * Command-line options of `npm run bench`. Durations are per scenario run; every scenario runs
 * once per round against every target, alternating which target goes first.
 */
export interface BenchOptions {
  rounds: number;
  /** Seconds each timed scenario run lasts (operations in flight at the end are finished). */
  duration: number;
  quick: boolean;
  profile: boolean;
  /** Only run scenarios whose id contains one of these strings (empty: all). */
  only: string[];
  /** Skip the auth/gate variants of Lazaret (scenario 6 and 7). */
  variants: boolean;
  adminUser: string;
  adminPassword: string;
  keepWork: boolean;
  /** Where both registries keep blobs: the filesystem, or a local S3 server (s3rver). */
  storage: 'fs' | 's3';
  /** Lazaret nodes behind HAProxy on one PostgreSQL and one bucket (1: a single node). */
  nodes: number;
  /** Adds a column: Lazaret with `serve --workers N` (0: none). */
  workers: number;
  /**
   * Adds a column: Lazaret started with these node flags and environment (`--candidate
   * "--flag NAME=value"`: words with `=` and no leading dash are environment variables), to
   * measure a changed default side by side with the current one.
   */
  candidate?: { nodeArgs: string[]; env: Record<string, string> };
  /** PostgreSQL for --nodes (each run makes its own schema). */
  databaseUrl: string;
  /**
   * An S3 server already running (e.g. bench/ceph-rgw.sh's) instead of s3rver: both registries
   * use it, Distribution with its own s3 driver. Keys: LAZARET_BENCH_S3_ACCESS_KEY_ID and
   * LAZARET_BENCH_S3_SECRET_ACCESS_KEY (default: the keys bench/ceph-rgw.sh creates).
   */
  s3Endpoint?: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--duration SECONDS] [--only a,b] [--no-variants] [--profile] [--keep]
  --quick          one round of 3 s runs (about 3 minutes)
  --rounds N       rounds of every scenario (default 3)
  --duration S     seconds per scenario run (default 6)
  --only a,b       run only scenarios whose id contains one of the strings
  --no-variants    skip Lazaret with token auth / quarantine gate (scenarios 6 and 7)
  --profile        run Lazaret under node --cpu-prof; profiles go to bench/work/profiles
  --keep           keep the registries' temp data dirs
  --admin-user U   admin user of Lazaret's token service (default admin)
  --storage s3     both registries store blobs in a local S3 server (s3rver): Lazaret's s3 driver
                   against Distribution's
  --nodes N        Lazaret is N nodes behind HAProxy on one PostgreSQL and one bucket (implies
                   --storage s3 and --no-variants; PostgreSQL from LAZARET_BENCH_DATABASE_URL)
  --s3-endpoint U  with --storage s3 (implied): an S3 server already running at U instead of
                   s3rver, for both registries, Distribution with its s3 driver (bench/ceph-rgw.sh
                   starts one; keys from LAZARET_BENCH_S3_ACCESS_KEY_ID/_SECRET_ACCESS_KEY)
  --workers N      also run Lazaret with serve --workers N (a column next to one process)
  --candidate "ARGS"  also run Lazaret with these node flags and NAME=value environment variables
                   (a column next to the default one, with CPU per operation and peak RSS)
  --scale          instead: request cost on a 1,000-entry vs a 1,000,000-tag / 100,000-repository
                   registry (bench/scale.ts; its options: --dialect sqlite|postgres|both,
                   --tags N, --repos N, --duration S, --only a,b)`;

export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    rounds: 3,
    duration: 6,
    quick: false,
    profile: false,
    only: [],
    variants: true,
    adminUser: 'admin',
    adminPassword: 'bench-admin-password',
    keepWork: false,
    storage: 'fs',
    nodes: 1,
    workers: 0,
    databaseUrl: process.env.LAZARET_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  };
  let roundsSet = false;
  let durationSet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case '--quick': options.quick = true; break;
      case '--profile': options.profile = true; break;
      case '--keep': options.keepWork = true; break;
      case '--no-variants': options.variants = false; break;
      case '--rounds': options.rounds = positive(arg, value()); roundsSet = true; break;
      case '--duration': options.duration = positive(arg, value()); durationSet = true; break;
      case '--only': options.only = value().split(',').filter(Boolean); break;
      case '--admin-user': options.adminUser = value(); break;
      case '--storage': {
        const v = value();
        if (v !== 'fs' && v !== 's3') throw new Error(`--storage is fs or s3, got ${v}\n${USAGE}`);
        options.storage = v;
        break;
      }
      case '--nodes': options.nodes = Math.floor(positive(arg, value())); break;
      case '--s3-endpoint': options.s3Endpoint = new URL(value()).origin; options.storage = 's3'; break;
      case '--workers': options.workers = Math.floor(positive(arg, value())); break;
      case '--candidate': {
        const words = value().split(/\s+/).filter(Boolean);
        const env = Object.fromEntries(words.filter((w) => !w.startsWith('-') && w.includes('=')).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
        options.candidate = { nodeArgs: words.filter((w) => w.startsWith('-')), env };
        break;
      }
      case '-h': case '--help': console.log(USAGE); return process.exit(0);
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (options.nodes > 1) {
    options.storage = 's3';
    options.variants = false;
  }
  if (options.quick) {
    if (!roundsSet) options.rounds = 1;
    if (!durationSet) options.duration = 3;
  }
  return options;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${text}`);
  return n;
}
