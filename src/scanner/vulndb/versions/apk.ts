/**
 * Alpine package version ordering, following apk-tools' tokenizer (version.c): versions are
 * `digits{.digits}[letter]{_suffix[digits]}[-rN]`. Numbers compare numerically, except that a
 * component after a dot with leading zeros ranks below one without (`1.02` < `1.1`, as apk does),
 * a trailing letter sorts after no letter, pre-release suffixes (_alpha < _beta < _pre < _rc)
 * sort before the plain release and post-release ones (_cvs < _svn < _git < _hg < _p) after it,
 * and the package revision `-rN` compares last. No maintained npm library implements it; the
 * table test (apk.test.ts) runs apk-tools' own test vectors.
 */

const enum T {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';

/** A cursor over one version string: the token type expected next and the position. */
class Cursor {
  type: T = T.Digit;
  pos = 0;
  constructor(readonly s: string) {}

  /** Classifies what follows (apk's next_token) and moves past a separator. */
  private advanceType() {
    const c = this.s[this.pos];
    let n = T.Invalid;
    if (this.pos >= this.s.length) n = T.End;
    else if ((this.type === T.Digit || this.type === T.DigitOrZero) && isLower(c)) n = T.Letter;
    else if (this.type === T.Letter && isDigit(c)) n = T.Digit;
    else if (this.type === T.Suffix && isDigit(c)) n = T.SuffixNo;
    else {
      if (c === '.') n = T.DigitOrZero;
      else if (c === '_') n = T.Suffix;
      else if (c === '-' && this.s[this.pos + 1] === 'r') {
        n = T.RevisionNo;
        this.pos++;
      }
      this.pos++;
    }
    // Tokens only move forward in the grammar, with three allowed steps back.
    if (n < this.type && !((n === T.DigitOrZero && this.type === T.Digit) || (n === T.Suffix && this.type === T.SuffixNo) || (n === T.Digit && this.type === T.Letter))) n = T.Invalid;
    this.type = n;
  }

  /** The value of the suffix token starting at `pos` (negative for a pre-release suffix). */
  peekSuffixAt(pos: number): number {
    this.pos = pos;
    this.type = T.Suffix;
    return this.next();
  }

  /** The value of the token at the cursor (apk's get_token); updates `type` to the next one. */
  next(): number {
    if (this.pos >= this.s.length) {
      this.type = T.End;
      return 0;
    }
    let v = 0;
    let i = this.pos;
    let forced: T | undefined;
    const leadingZero = this.type === T.DigitOrZero && this.s[i] === '0';
    switch (leadingZero ? T.DigitOrZero : this.type === T.DigitOrZero ? T.Digit : this.type) {
      case T.DigitOrZero:
        // Leading zeros: the more of them, the lower (a fraction-like component).
        while (this.s[i] === '0') i++;
        forced = T.Digit;
        v = -(i - this.pos);
        break;
      case T.Digit:
      case T.SuffixNo:
      case T.RevisionNo:
        while (isDigit(this.s[i])) v = v * 10 + (this.s.charCodeAt(i++) - 48);
        break;
      case T.Letter:
        v = this.s.charCodeAt(i++);
        break;
      case T.Suffix: {
        const rest = this.s.slice(i);
        const pre = PRE_SUFFIXES.findIndex((p) => rest.startsWith(p));
        if (pre >= 0) {
          v = pre - PRE_SUFFIXES.length;
          i += PRE_SUFFIXES[pre]!.length;
          break;
        }
        const post = POST_SUFFIXES.findIndex((p) => rest.startsWith(p));
        if (post >= 0) {
          v = post;
          i += POST_SUFFIXES[post]!.length;
          break;
        }
        this.type = T.Invalid;
        return -1;
      }
      default:
        this.type = T.Invalid;
        return -1;
    }
    this.pos = i;
    if (this.pos >= this.s.length) this.type = T.End;
    else if (forced !== undefined) this.type = forced;
    else this.advanceType();
    return v;
  }
}

/** True when apk itself would accept the version string. */
export function isValidApkVersion(version: string): boolean {
  if (!isDigit(version[0])) return false;
  const c = new Cursor(version);
  while (c.type !== T.End && c.type !== T.Invalid) c.next();
  return c.type === T.End;
}

export function compareApkVersions(a: string, b: string): number {
  const x = new Cursor(a);
  const y = new Cursor(b);
  let xv = 0;
  let yv = 0;
  while (x.type === y.type && x.type !== T.End && x.type !== T.Invalid && xv === yv) {
    xv = x.next();
    yv = y.next();
  }
  if (xv !== yv) return xv < yv ? -1 : 1;
  if (x.type === y.type) return 0;
  // Equal so far: the longer one is greater, unless what it has left is a pre-release suffix.
  if (x.type === T.Suffix && new Cursor(a).peekSuffixAt(x.pos) < 0) return -1;
  if (y.type === T.Suffix && new Cursor(b).peekSuffixAt(y.pos) < 0) return 1;
  if (x.type > y.type) return -1;
  if (y.type > x.type) return 1;
  return 0;
}
