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
}

export const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--duration SECONDS] [--only a,b] [--no-variants] [--profile] [--keep]
  --quick          one round of 3 s runs (about 3 minutes)
  --rounds N       rounds of every scenario (default 3)
  --duration S     seconds per scenario run (default 6)
  --only a,b       run only scenarios whose id contains one of the strings
  --no-variants    skip Lazaret with token auth / quarantine gate (scenarios 6 and 7)
  --profile        run Lazaret under node --cpu-prof; profiles go to bench/work/profiles
  --keep           keep the registries' temp data dirs
  --admin-user U   admin user of Lazaret's token service (default admin)`;

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
      case '-h': case '--help': console.log(USAGE); return process.exit(0);
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
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
