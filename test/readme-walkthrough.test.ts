/**
 * The README is a script: every ```sh block of README.md runs, top to bottom, in one bash
 * session against a registry started as `npm start` starts it (`node bin/lazaret.js serve`,
 * defaults, the built-in scanner on, data in ./data of an empty directory). So the README and
 * this test cannot drift: a command that stops working fails here.
 *
 * What the test changes, and only this: the registry listens on a free port and every
 * `127.0.0.1:5000` in the blocks is rewritten to it; `lazaret` on PATH runs this checkout's
 * bin/lazaret.js (what `npm link` does); HOME is a temporary directory (so `lazaret login`
 * writes nowhere real); ./image is a small OCI layout written by the test (the README makes
 * it from Docker Hub), ./vulnerable an image whose lockfile pins minimist 1.2.5. A block preceded by `<!-- readme-test: skip (REASON) -->` is shown only;
 * the reason is required. The blocks run with `set -eu` (no pipefail), so `cmd | grep X`
 * fails the run unless the output holds X: that is how the README's expectations are checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, skipUnless } from './helpers/environment.ts';
import { spawnServer, type SpawnedServer } from './helpers/spawn-server.ts';
import { writeOciLayout } from './helpers/quarantine-fixtures.ts';
import { appImage, writeScanImageLayout } from './helpers/scan-images.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const missing = ['bash', 'skopeo', 'curl', 'jq', 'grep'].filter((c) => !hasCommand(c));
const skip = skipUnless(missing.length === 0, `missing: ${missing.join(', ')}`);

interface Block {
  line: number;
  code: string;
  skipReason?: string;
}

/** The fenced ```sh blocks of a Markdown text, each with the skip marker just before it. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
    assert.ok(i < lines.length, `README.md:${start + 1}: the sh block is never closed`);
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? /^<!-- readme-test: skip(?: \((.*)\))? -->$/.exec(lines[before]!.trim()) : null;
    if (marker) assert.ok(marker[1]?.trim(), `README.md:${before + 1}: a skipped block must say why`);
    blocks.push({ line: start + 1, code: body.join('\n'), ...(marker ? { skipReason: marker[1] } : {}) });
  }
  return blocks;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('bash', ['-c', script], { cwd, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, output });
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  });
}

let work: string;
let server: SpawnedServer | undefined;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'lazaret-readme-'));
});
after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('the README blocks are found, and every skipped one says why', () => {
  const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const run = blocks.filter((b) => b.skipReason === undefined);
  // The walkthrough's landmarks must be among the blocks that run, not only shown.
  const runText = run.map((b) => b.code).join('\n');
  for (const landmark of ['data/initial-admin-password', 'skopeo copy', 'quarantine enable', 'set-verdict', '/acr/v1/', 'lazaret user create', 'scanner db import', 'lazaret scan ']) {
    assert.ok(runText.includes(landmark), `no block that runs contains ${landmark}`);
  }
  assert.ok(run.length > blocks.length / 2, `${blocks.length - run.length} of ${blocks.length} blocks are skipped`);
});

test('every sh block of README.md runs as written, top to bottom', { skip, timeout: 300_000 }, async () => {
  const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const home = join(work, 'home');
  const bin = join(work, 'bin');
  const cwd = join(work, 'clone');
  for (const dir of [home, bin, cwd]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(bin, 'lazaret'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/lazaret.js')}" "$@"\n`);
  chmodSync(join(bin, 'lazaret'), 0o755);
  await writeOciLayout(join(cwd, 'image'), '1', 'the README walkthrough');
  await writeScanImageLayout(join(cwd, 'vulnerable'), { '1': await appImage() });

  // As `npm start` in the clone: the defaults, the built-in scanner included; only the port differs.
  server = await spawnServer({ LAZARET_SCANNER_BUILTIN: 'true', HOME: home }, 60_000, { cwd });
  const address = new URL(server.url).host;
  const script = [
    'set -eu',
    ...blocks.map((b) =>
      b.skipReason !== undefined
        ? `# README.md:${b.line} skipped: ${b.skipReason}`
        : `echo "=== README.md:${b.line}"\n${b.code.replaceAll('127.0.0.1:5000', address)}`,
    ),
  ].join('\n');
  const r = await bash(script, cwd, {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    XDG_RUNTIME_DIR: home, // skopeo keeps its auth file there
    LANG: 'C.UTF-8',
  });
  assert.equal(r.code, 0, `the README failed (the last "=== README.md:N" line names the block):\n${r.output.slice(-6000)}`);
  // Every block that runs was reached (a block that exits early would end the script quietly).
  for (const b of blocks.filter((x) => x.skipReason === undefined)) assert.ok(r.output.includes(`=== README.md:${b.line}\n`), `block at README.md:${b.line} never ran`);
  assert.match(r.output, /verdict\.change/, 'the audit list shows the verdict change');
});
