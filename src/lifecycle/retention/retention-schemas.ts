/**
 * TypeBox schemas of the retention document and of /api/v1/retention's answers. Schema-only
 * (imports nothing but typebox): the server (policy.ts keeps the document, the route validates
 * and answers with these), the CLI (`lazaret retention`) and the portal's Storage page share
 * this one declaration (docs/architecture.md "Wire types").
 */
import { Type, type Static } from 'typebox';

const days = (description: string) => Type.Integer({ minimum: 0, maximum: 3650, description });
const Pattern = Type.String({ minLength: 1, maxLength: 300, description: 'a repository pattern: a name, team/*, or *' });

export const UntaggedRule = Type.Object(
  { repositories: Pattern, days: days('untagged manifests not updated for this many days are deleted (0: at the next run)') },
  { additionalProperties: false },
);

export const TagRule = Type.Object(
  {
    repositories: Pattern,
    keepLast: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'keep the N most recently pushed tags' })),
    keepTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 50, description: 'keep tags matching any of these patterns (*: any characters, ?: one), e.g. v*, release-*' })),
    olderThanDays: Type.Optional(days('delete tags pushed more than D days ago (without it: every tag the rule does not keep)')),
    keepPulledWithinDays: Type.Optional(days('keep a tag whose image was pulled within P days')),
  },
  { additionalProperties: false },
);

/** The body of PUT /api/v1/retention (`tags` may be left out). */
export const RetentionPolicyBody = Type.Object({ untagged: Type.Array(UntaggedRule, { maxItems: 100 }), tags: Type.Optional(Type.Array(TagRule, { maxItems: 100 })) }, { additionalProperties: false });

/** The document as kept and answered (GET and PUT /api/v1/retention). */
export const RetentionPolicy = Type.Object({ untagged: Type.Array(UntaggedRule), tags: Type.Array(TagRule) });

export type UntaggedRule = Static<typeof UntaggedRule>;
export type TagRule = Static<typeof TagRule>;
export type RetentionPolicy = Static<typeof RetentionPolicy>;

/** One deletion of a plan (lifecycle/retention/plan.ts PlannedDeletion, dates as ISO strings). */
export const RetentionDeletion = Type.Object({
  kind: Type.Union([Type.Literal('tag'), Type.Literal('manifest')]),
  repository: Type.String(),
  tag: Type.Union([Type.String(), Type.Null()]),
  digest: Type.String(),
  reason: Type.Union([Type.Literal('age'), Type.Literal('count'), Type.Literal('untagged'), Type.Literal('tags-deleted'), Type.Literal('referrer')]),
  rule: Type.String({ description: 'the pattern of the rule that asked for it' }),
  subject: Type.Union([Type.String(), Type.Null()], { description: 'for a referrer: the subject deleted first' }),
  updatedAt: Type.String(),
  lastPulledAt: Type.Union([Type.String(), Type.Null()]),
});

/** POST /api/v1/retention/run: what was deleted (a dry run: what would be) and what was skipped, with why. */
export const RetentionRun = Type.Object({
  dryRun: Type.Boolean(),
  deletions: Type.Array(RetentionDeletion),
  skipped: Type.Array(Type.Object({ ...RetentionDeletion.properties, why: Type.String() })),
});
