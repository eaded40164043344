/**
 * `lazaret scanner ...`: the one command group of the built-in scanner and the scanners the
 * registry talks to. Each area adds its subcommands through one registrar in SUBCOMMANDS
 * (`(group) => void`); nothing else registers `scanner` on the program.
 */
import type { Command } from 'commander';
import { registerScannerDb } from './scanner-db.ts';
import { registerScannerAdmin } from './scanner-admin.ts';
import { registerScannerServe } from './scanner-serve.ts';

const SUBCOMMANDS: ((group: Command) => void)[] = [registerScannerServe, registerScannerDb, registerScannerAdmin];

export function registerScanner(program: Command) {
  const group = program.command('scanner').description('the built-in scanner, its vulnerability database and the scanners the registry uses');
  for (const register of SUBCOMMANDS) register(group);
}
