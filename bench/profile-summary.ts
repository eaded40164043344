/**
 * `node --import tsx bench/profile-summary.ts [--top N] FILE.cpuprofile...`: top self-time
 * functions and inclusive time per source file of node --cpu-prof profiles.
 */
import { formatProfile } from './lib/cpu-profile.ts';

const args = process.argv.slice(2);
let top = 25;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]!);
}
if (files.length === 0) {
  console.error('usage: node --import tsx bench/profile-summary.ts [--top N] FILE.cpuprofile...');
  process.exit(2);
}
for (const f of files) console.log(`${formatProfile(f, top)}\n`);
