/**
 * The vulnerability database `lazaret scanner serve` uses: the feed database of its data
 * directory (src/scanner/vulndb). It may not exist yet (then status().loaded is false: health
 * says so, SBOMs are made, vulnerability scans fail closed with NO_DATABASE); an import or pull
 * while the server runs is picked up at the next call, without a restart.
 */
import type { VulnDatabase } from '../types.ts';
import { openVulnDatabase } from '../vulndb/index.ts';

export function openScannerDatabase(dataDir: string): VulnDatabase {
  return openVulnDatabase({ dir: dataDir });
}
