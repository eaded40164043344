/**
 * A release policy document: what it may say, and how it is read and checked.
 *
 * Written in YAML or JSON (YAML is a superset, so one parser reads both), validated by the
 * schema below, then every CEL rule is compiled. A document that fails any of it is refused
 * with ONE problem naming the field (`rules[1].signatures.min must be ...`) or, for CEL, the
 * rule and the position in its expression; the stored policy stays as it was.
 *
 * The shape (docs/release-policy.md has the reference):
 *   name, description?, repositories[], enabled (default true),
 *   onViolation: notify | requarantine (default notify), gracePeriod (with requarantine: 72h),
 *   exceptions: { requireApproval } (the two-person rule for exceptions this policy honours),
 *   rules[]: each { name, and exactly one of vulnerabilities | signatures | sbom | provenance | cel }.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { loadPolicyLibraries } from './libraries.ts';
import { isValidPolicyPattern } from './patterns.ts';
import { trustMaterialOf } from './sigstore.ts';
import { parseTrustedIdentity } from './notation.ts';
import { X509Certificate } from 'node:crypto';
import safeRegex from 'safe-regex2';

export const SEVERITIES = ['None', 'Low', 'Medium', 'High', 'Critical'] as const;
export type PolicySeverity = (typeof SEVERITIES)[number];

/** `90s`, `30m`, `72h`, `7d`: a duration in the document, in milliseconds once parsed. */
const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

// `errorMessage` is what a problem says about a value that breaks a pattern (see problemOf).
const Duration = Type.String({ pattern: DURATION.source, errorMessage: 'must be a duration such as 90s, 30m, 72h or 7d' });
const Name = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', errorMessage: 'must be 1 to 63 lowercase letters, digits or dashes, starting with a letter or digit' });
const Severity = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const Count = Type.Integer({ minimum: 0 });
const strict = { additionalProperties: false } as const;
const Text = Type.String({ minLength: 1, maxLength: 1024 });

// Only the PEM header is required here: a key that does not parse is reported as a warning at
// apply (keyWarnings) and counts as no key at evaluation (fail closed), so a document with a
// placeholder key (the issue's own example) is accepted and simply cannot pass the rule.
const PemKey = Type.String({ pattern: '^-----BEGIN PUBLIC KEY-----', errorMessage: 'must be a PEM public key (-----BEGIN PUBLIC KEY-----)' });

// An OpenVEX statement as a policy may carry it: the status is checked (a typo would silently
// except nothing); the rest is read as OpenVEX reads it (./vex.ts), so other fields may be there.
const VexStatus = Type.Union([Type.Literal('not_affected'), Type.Literal('affected'), Type.Literal('fixed'), Type.Literal('under_investigation')]);
const VexPolicyStatement = Type.Object({ vulnerability: Type.Unknown(), products: Type.Optional(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 })), status: VexStatus });
const VexPolicyDocument = Type.Object({ '@id': Type.Optional(Text), author: Type.Optional(Text), statements: Type.Array(VexPolicyStatement, { minItems: 1, maxItems: 1000 }) });

/**
 * One identity a keyless rule trusts (cosign's --certificate-identity[-regexp] and
 * --certificate-oidc-issuer[-regexp]): one of subject / subjectRegExp and one of issuer /
 * issuerRegExp (checked after the schema, with the regexps compiled).
 */
const KeylessIdentity = Type.Object({ subject: Type.Optional(Text), subjectRegExp: Type.Optional(Text), issuer: Type.Optional(Text), issuerRegExp: Type.Optional(Text) }, strict);

/** Keyless cosign (./sigstore.ts): a Sigstore trusted root and the identities it may vouch for. */
const Keyless = Type.Object(
  {
    /** trusted_root.json: the object itself, or its JSON text (checked after the schema). */
    trustedRoot: Type.Union([Type.String({ minLength: 2 }), Type.Object({}, { additionalProperties: true })], { errorMessage: 'must be a Sigstore trusted root (trusted_root.json) as an object or JSON text' }),
    identities: Type.Array(KeylessIdentity, { minItems: 1, maxItems: 50 }),
    /** Transparency-log entries required per signature (cosign's default 1; 0 for a deployment without Rekor). */
    tlog: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
    /** Signed certificate timestamps required in the leaf (cosign's default 1; 0 without a CT log). */
    sct: Type.Integer({ minimum: 0, maximum: 5, default: 1 }),
  },
  strict,
);

/**
 * Which OpenVEX documents the rule honours (./vex.ts): those whose referrer manifest carries a
 * cosign signature one of `cosign.keys` verifies, or a keyless one (a certificate) that
 * `keyless` (a trusted root and identities, as for image signatures) accepts, and the
 * `documents` written into the policy itself (trusted as the policy is: versioned, audited,
 * applied by someone allowed to). At least one of the three.
 */
const Vex = Type.Object(
  {
    cosign: Type.Optional(Type.Object({ keys: Type.Array(PemKey, { minItems: 1, maxItems: 50 }) }, strict)),
    keyless: Type.Optional(Keyless),
    documents: Type.Optional(Type.Array(VexPolicyDocument, { minItems: 1, maxItems: 20 })),
  },
  strict,
);

const Vulnerabilities = Type.Object(
  {
    /** The highest severity allowed: a finding above it fails (High: Critical fails). */
    maxSeverity: Type.Optional(Severity),
    /** Only findings with a fix version count against maxSeverity and maxCount. */
    fixableOnly: Type.Optional(Type.Boolean()),
    /** At most this many findings per severity. */
    maxCount: Type.Optional(Type.Object({ Critical: Type.Optional(Count), High: Type.Optional(Count), Medium: Type.Optional(Count), Low: Type.Optional(Count), Unknown: Type.Optional(Count) }, strict)),
    /** Findings in packages matching these names (`*` globs) never count. */
    ignorePackages: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200 })),
    /** A report older than this fails the rule (rescan it). */
    maxReportAge: Type.Optional(Duration),
    /** not_affected / fixed statements of OpenVEX documents signed by these keys except findings. */
    vex: Type.Optional(Vex),
  },
  strict,
);


const Enforce = Type.Union([Type.Literal('enforce'), Type.Literal('log')]);
const PemCertificate = Type.String({ pattern: '^-----BEGIN CERTIFICATE-----', errorMessage: 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)' });

/**
 * Notation (./notation.ts): the trust store (CA certificates) and the trust policy's
 * registryScopes and trustedIdentities, as in Notation's trustpolicy.json.
 */
const Notation = Type.Object(
  {
    trustStore: Type.Array(PemCertificate, { minItems: 1, maxItems: 50 }),
    /** Notation's `tsa` trust store: roots of timestamping authorities whose countersignatures give the signing time. */
    tsaTrustStore: Type.Optional(Type.Array(PemCertificate, { minItems: 1, maxItems: 50 })),
    registryScopes: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { minItems: 1, maxItems: 50, default: ['*'] }),
    trustedIdentities: Type.Array(Text, { minItems: 1, maxItems: 50 }),
    /** Notation's verification level: strict (default) or permissive; audit and skip are refused below. */
    signatureVerification: Type.Optional(Type.Object({ level: Type.Union([Type.Literal('strict'), Type.Literal('permissive'), Type.Literal('audit'), Type.Literal('skip')]), override: Type.Optional(Type.Object({ expiry: Type.Optional(Enforce), authenticTimestamp: Type.Optional(Enforce) }, strict)) }, strict)),
  },
  strict,
);

const Signatures = Type.Object(
  {
    /** How many valid signatures are required (from distinct identities: a key, a certificate identity). */
    min: Type.Integer({ minimum: 1, maximum: 20, default: 1 }),
    cosign: Type.Optional(Type.Object({ keys: Type.Array(PemKey, { minItems: 1, maxItems: 50 }) }, strict)),
    keyless: Type.Optional(Keyless),
    notation: Type.Optional(Notation),
  },
  strict,
);

export const SIGNATURE_SCHEMES = ['cosign', 'keyless', 'notation'] as const;

const Sbom = Type.Object(
  {
    /** An SBOM must be attached (as a referrer of one of these artifact types). */
    required: Type.Boolean({ default: true }),
    artifactTypes: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 10, default: ['application/vnd.cyclonedx+json', 'application/spdx+json'] }),
  },
  strict,
);

/**
 * An SLSA provenance attestation, signed by one of these keys, naming the builder and source
 * (./provenance.ts). `*` in builderId and sourceRepository matches any characters.
 */
const Provenance = Type.Object(
  {
    /** false: an image without verified provenance passes; one whose signed provenance contradicts the constraints still fails. */
    required: Type.Boolean({ default: true }),
    cosign: Type.Object({ keys: Type.Array(PemKey, { minItems: 1, maxItems: 50 }) }, strict),
    builderId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    sourceRepository: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  strict,
);

const Rule = Type.Object(
  {
    name: Name,
    vulnerabilities: Type.Optional(Vulnerabilities),
    signatures: Type.Optional(Signatures),
    sbom: Type.Optional(Sbom),
    provenance: Type.Optional(Provenance),
    cel: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  },
  strict,
);

export const RULE_KINDS = ['vulnerabilities', 'signatures', 'sbom', 'provenance', 'cel'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

const DocumentSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    repositories: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, maxItems: 50 }),
    enabled: Type.Boolean({ default: true }),
    onViolation: Type.Union([Type.Literal('notify'), Type.Literal('requarantine')], { default: 'notify' }),
    gracePeriod: Type.Optional(Duration),
    exceptions: Type.Object({ requireApproval: Type.Boolean({ default: false }) }, { ...strict, default: { requireApproval: false } }),
    rules: Type.Array(Rule, { minItems: 1, maxItems: 50 }),
  },
  strict,
);

export type PolicyDocument = Static<typeof DocumentSchema>;
export type PolicyRule = PolicyDocument['rules'][number];

export class PolicyDocumentError extends Error {
  constructor(
    /** `rules[1].signatures.min`; `document` when the text itself does not parse. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || 'document';
}

/** Default grace period of `onViolation: requarantine` when the document names none. */
export const DEFAULT_GRACE = '72h';

export const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * Reads and checks a policy document (YAML or JSON text, or an already parsed object).
 * Rejects with PolicyDocumentError naming the first problem. Asynchronous only to load the
 * libraries the checks use (CEL, Sigstore) on first use (./libraries.ts).
 */
export async function parsePolicyDocument(input: string | unknown): Promise<PolicyDocument> {
  const { cel } = await loadPolicyLibraries();
  let value: unknown = input;
  if (typeof input === 'string') {
    if (Buffer.byteLength(input) > MAX_DOCUMENT_BYTES) throw new PolicyDocumentError('document', `is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB`);
    try {
      value = parseYaml(input, { maxAliasCount: 100 });
    } catch (err) {
      const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
      throw new PolicyDocumentError('document', `is not valid YAML or JSON${where}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PolicyDocumentError('document', 'must be an object (name, repositories, rules, ...)');
  const withDefaults = Value.Default(DocumentSchema, structuredClone(value)) as Record<string, unknown>;
  // TypeBox reports an unknown key twice (the object, then the key's `false` schema): name the key.
  const errors = Value.Errors(DocumentSchema, withDefaults);
  const error = errors.find((e) => e.keyword === 'boolean') ?? errors[0];
  if (error) {
    const keys = error.instancePath.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const missing = error.keyword === 'required' ? ((error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '') : '';
    const field = fieldOf([...keys, ...(missing ? [missing] : [])].map((k) => (/^\d+$/.test(k) ? Number(k) : k)));
    throw new PolicyDocumentError(field, missing ? 'is required' : problemOf(error, schemaAt(keys)));
  }
  const doc = withDefaults as PolicyDocument;
  doc.repositories.forEach((p, i) => {
    if (!isValidPolicyPattern(p)) throw new PolicyDocumentError(`repositories[${i}]`, 'must be a repository name with optional * (one segment) or ** (any depth) globs');
  });
  const seen = new Set<string>();
  doc.rules.forEach((rule, i) => {
    const kinds = RULE_KINDS.filter((k) => rule[k] !== undefined);
    if (kinds.length !== 1) throw new PolicyDocumentError(`rules[${i}]`, `must have exactly one of ${RULE_KINDS.join(', ')} (has ${kinds.length ? kinds.join(', ') : 'none'})`);
    if (seen.has(rule.name)) throw new PolicyDocumentError(`rules[${i}].name`, `must be unique (${rule.name} is used twice)`);
    seen.add(rule.name);
  });
  doc.rules.forEach((rule, i) => {
    if (rule.signatures) checkSignatures(rule.signatures, `rules[${i}].signatures`);
    const vex = rule.vulnerabilities?.vex;
    if (vex && !vex.cosign && !vex.keyless && !vex.documents) throw new PolicyDocumentError(`rules[${i}].vulnerabilities.vex`, 'must name cosign keys, keyless identities or documents');
    if (vex?.keyless) checkKeyless(vex.keyless, `rules[${i}].vulnerabilities.vex.keyless`);
  });
  if (doc.gracePeriod !== undefined && doc.onViolation !== 'requarantine') throw new PolicyDocumentError('gracePeriod', 'only applies with onViolation: requarantine');
  doc.rules.forEach((rule, i) => {
    if (rule.cel === undefined) return;
    try {
      cel.parse(rule.cel);
    } catch (err) {
      // The parser says `<input>:LINE:COL: message`; name the rule instead of <input>.
      const text = (err as Error).message.replace(/^<input>:(\d+):(\d+):\s*/, 'at line $1, column $2: ');
      throw new PolicyDocumentError(`rules[${i}].cel`, `(rule ${rule.name}) does not compile ${text}`);
    }
  });
  return doc;
}

/** What the schema cannot say about a signatures rule: a scheme at all, identities, the trusted root. */
function checkSignatures(s: NonNullable<PolicyRule['signatures']>, at: string): void {
  const schemes = SIGNATURE_SCHEMES.filter((k) => s[k] !== undefined);
  if (schemes.length === 0) throw new PolicyDocumentError(at, `must name at least one of ${SIGNATURE_SCHEMES.join(', ')}`);
  if (s.keyless) checkKeyless(s.keyless, `${at}.keyless`);
  if (s.notation) {
    for (const store of ['trustStore', 'tsaTrustStore'] as const) {
      s.notation[store]?.forEach((pem, j) => {
        try {
          new X509Certificate(pem);
        } catch (err) {
          throw new PolicyDocumentError(`${at}.notation.${store}[${j}]`, `is not a usable certificate: ${(err as Error).message}`);
        }
      });
    }
    s.notation.registryScopes.forEach((scope, j) => {
      if (scope !== '*' && scope.includes('*')) throw new PolicyDocumentError(`${at}.notation.registryScopes[${j}]`, 'must be * alone or a repository (registry/repository) without *');
    });
    s.notation.trustedIdentities.forEach((entry, j) => {
      try {
        parseTrustedIdentity(entry);
      } catch (err) {
        throw new PolicyDocumentError(`${at}.notation.trustedIdentities[${j}]`, (err as Error).message);
      }
    });
    const level = s.notation.signatureVerification?.level;
    // Notation's audit level accepts an unauthenticated signature and skip checks nothing: a
    // signature counted by a gate must come from a trusted identity.
    if (level === 'audit' || level === 'skip') throw new PolicyDocumentError(`${at}.notation.signatureVerification.level`, `must be strict or permissive (${level} does not verify who signed, so such a signature cannot count towards min)`);
  }
}

/** The schema node at a document path (for its errorMessage and type). */
function schemaAt(keys: string[]): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = DocumentSchema as unknown as Record<string, unknown>;
  for (const key of keys) {
    if (!node) return undefined;
    if (node.type === 'array') node = node.items as Record<string, unknown>;
    else node = (node.properties as Record<string, Record<string, unknown>> | undefined)?.[key];
  }
  return node;
}

type SchemaError = ReturnType<typeof Value.Errors>[number];

function problemOf(error: SchemaError, schema: Record<string, unknown> | undefined): string {
  const params = (error.params ?? {}) as Record<string, unknown>;
  const items = schema?.type === 'array' ? 'item(s)' : 'character(s)';
  switch (error.keyword) {
    case 'additionalProperties':
    case 'boolean':
      return 'is not a known field';
    case 'required':
      return `misses ${(params.requiredProperties as string[]).join(', ')}`;
    case 'type':
      return `must be ${schema?.type === 'integer' ? 'an integer' : `a${/^[aeiou]/.test(String(schema?.type)) ? 'n' : ''} ${String(schema?.type)}`}`;
    case 'anyOf':
    case 'const':
    case 'enum': {
      const values = (schema?.anyOf as { const?: unknown }[] | undefined)?.map((v) => v.const).filter((v) => v !== undefined);
      return values?.length ? `must be one of ${values.join(', ')}` : error.message;
    }
    case 'pattern':
      return (schema?.errorMessage as string | undefined) ?? error.message;
    case 'minItems':
    case 'minLength':
      return `must have at least ${String(params.limit)} ${items}`;
    case 'maxItems':
    case 'maxLength':
      return `must have at most ${String(params.limit)} ${items}`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    default:
      return error.message;
  }
}

/** The canonical JSON of a document (what is stored, compared and diffed). */
export function canonicalJson(doc: PolicyDocument): string {
  return JSON.stringify(doc, null, 2);
}

/** What the schema cannot say about a keyless part (of a signatures rule or of vex): a usable root, one subject and one issuer per identity, safe regexps. */
function checkKeyless(k: Static<typeof Keyless>, at: string): void {
  try {
    trustMaterialOf(k.trustedRoot);
  } catch (err) {
    throw new PolicyDocumentError(`${at}.trustedRoot`, `is not a usable Sigstore trusted root: ${(err as Error).message}`);
  }
  k.identities.forEach((id, j) => {
    for (const [exact, pattern] of [['subject', 'subjectRegExp'], ['issuer', 'issuerRegExp']] as const) {
      const n = Number(id[exact] !== undefined) + Number(id[pattern] !== undefined);
      if (n !== 1) throw new PolicyDocumentError(`${at}.identities[${j}]`, `must have exactly one of ${exact}, ${pattern}`);
      const re = id[pattern];
      if (re === undefined) continue;
      try {
        new RegExp(re);
      } catch (err) {
        throw new PolicyDocumentError(`${at}.identities[${j}].${pattern}`, `is not a regular expression: ${(err as Error).message}`);
      }
      // Evaluation matches certificates on the main thread: an expression that can backtrack
      // exponentially (a quantifier inside a quantified group) would stall the registry.
      if (!safeRegex(re)) throw new PolicyDocumentError(`${at}.identities[${j}].${pattern}`, 'could take exponential time to match (a repeated group that itself repeats, such as (a+)+): write it without nested repetition');
    }
  });
}
