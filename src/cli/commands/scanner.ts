/**
 * `lazaret scanner ...`: the one command group of the built-in scanner and the scanners the
 * registry talks to. Each area adds its subcommands through one registrar in SUBCOMMANDS
 * (`(group) => void`); nothing else registers `scanner` on the program.
 */
import type { Command } from 'commander';
import { registerScannerDb } from './scanner-db.ts';

const SUBCOMMANDS: ((group: Command) => void)[] = [registerScannerDb];

export function registerScanner(program: Command) {
  const group = program.command('scanner').description('the built-in scanner and its vulnerability database');
  for (const register of SUBCOMMANDS) register(group);
}
