/**
 * Go binaries' embedded build info (the `.go.buildinfo` section that `go version -m` reads),
 * found while a file streams past: ELF files only, the 14-byte magic searched across chunks,
 * then at most MAX_BUILDINFO bytes kept and parsed. Go 1.18+ stores the version and module
 * strings inline after the 32-byte header (flag bit 2); older binaries point into the data
 * segment and are not read (docs/scanner.md).
 */
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const HEADER = 32;
const MAX_BUILDINFO = 256 * 1024;

export interface GoModule {
  path: string;
  version: string;
}

export interface GoBuildInfo {
  goVersion: string;
  main?: GoModule;
  deps: GoModule[];
}

function uvarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 9; i++) {
    value += (buf[i] & 0x7f) * 2 ** shift;
    if ((buf[i] & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

/** Parses the bytes that start at the magic; undefined when they are not a readable build info. */
export function parseGoBuildInfo(section: Buffer): GoBuildInfo | undefined {
  if (section.length < HEADER || !section.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const flags = section[15];
  if ((flags & 0x2) === 0) return undefined; // pre-1.18 pointer format
  const v = uvarint(section, HEADER);
  if (!v || v.next + v.value > section.length) return undefined;
  const goVersion = section.subarray(v.next, v.next + v.value).toString('utf8');
  const m = uvarint(section, v.next + v.value);
  if (!m || m.next + m.value > section.length) return undefined;
  let mod = section.subarray(m.next, m.next + m.value).toString('utf8');
  // The module string is framed by 16-byte sentinels.
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
  if (!goVersion.startsWith('go')) return undefined;
  const info: GoBuildInfo = { goVersion, deps: [] };
  for (const line of mod.split('\n')) {
    const [kind, path, version] = line.split('\t');
    if (kind === 'mod' && path && version) info.main = { path, version };
    else if (kind === 'dep' && path && version) info.deps.push({ path, version });
    else if (kind === '=>' && path && version && info.deps.length > 0) info.deps[info.deps.length - 1] = { path, version };
  }
  return info;
}

/** Feeds a file's chunks; result() after the last one. Keeps at most MAX_BUILDINFO bytes. */
export class GoBuildInfoScanner {
  private head = Buffer.alloc(0);
  private isElf: boolean | undefined;
  private tail = Buffer.alloc(0);
  private found: Buffer[] | undefined;
  private foundBytes = 0;

  /** False once the file is known not to hold build info (the caller may stop feeding). */
  get wantsMore(): boolean {
    return this.isElf !== false && this.foundBytes < MAX_BUILDINFO;
  }

  push(chunk: Buffer): void {
    if (this.isElf === undefined) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 4)]);
      if (this.head.length < 4) return;
      this.isElf = this.head.subarray(0, 4).equals(ELF);
      if (!this.isElf) return;
    }
    if (!this.wantsMore) return;
    if (this.found) {
      const take = chunk.subarray(0, MAX_BUILDINFO - this.foundBytes);
      this.found.push(take);
      this.foundBytes += take.length;
      return;
    }
    const window = Buffer.concat([this.tail, chunk]);
    const at = window.indexOf(MAGIC);
    if (at >= 0) {
      const take = window.subarray(at, at + MAX_BUILDINFO);
      this.found = [take];
      this.foundBytes = take.length;
      return;
    }
    this.tail = window.subarray(Math.max(0, window.length - (MAGIC.length - 1)));
  }

  result(): GoBuildInfo | undefined {
    return this.found ? parseGoBuildInfo(Buffer.concat(this.found)) : undefined;
  }
}
