/**
 * What the evaluation routes answer (./evaluation-routes.ts): "why held" for one image and the
 * dry run of a document. Visibility first: `whyHeld` reads nothing before the registry
 * service said the caller may see held metadata of the repository (configure, or quarantine
 * read there); for anyone else, and for a manifest that does not exist, it throws the same
 * NOT_FOUND. The dry run is for `configure` holders (the route says so) and writes nothing.
 */
import type { Static } from 'typebox';
import type { WhyHeldView } from './policy-schemas.ts';
import type { AccessContext } from '../access/actions.ts';
import type { Services } from '../services.ts';
import type { Digest } from '../oci/index.ts';
import { registryError } from '../errors/index.ts';
import { readPolicy } from '../quarantine/policy.ts';
import type { PolicyDocument } from './document.ts';
import { governingOf } from './decide.ts';
import { gatherInput } from './evaluation-input.ts';
import { evaluatePolicy } from './evaluate.ts';
import { isEvaluated } from './release-services.ts';
import { matchesPolicyPattern } from './patterns.ts';
import type { ReleasePolicyRecord } from './policy-store.ts';

export async function whyHeld(services: Services, access: AccessContext, q: { repository: string; digest?: string; tag?: string }): Promise<Static<typeof WhyHeldView>> {
  const { store } = services;
    const reference = q.digest ?? q.tag!;
    // One answer for "missing" and "not yours to see": nothing below runs for such a caller.
    const missing = () => registryError('NOT_FOUND', `no manifest ${q.repository}${q.digest ? '@' : ':'}${reference}`);
    if (!services.registry.as(access).seesHeldMetadata(q.repository)) throw missing();
    const digest = q.digest ?? (await store.tags.get(q.repository, q.tag!))?.digest;
    const manifest = digest && (await store.manifests.getHead(q.repository, digest as Digest));
    if (!manifest) throw missing();
    const verdict = await store.verdicts.get(q.repository, manifest.digest);
    const policies = await store.releasePolicies.list();
    const governing = governingOf(policies, q.repository);
    const registryWide = (await readPolicy(store.settings)).status === 'enabled';
    const gated = !!governing || registryWide;
    const evaluation = await store.releaseEvaluations.get(q.repository, manifest.digest);
    return {
      repository: q.repository,
      digest: manifest.digest,
      quarantineState: verdict?.state ?? null,
      held: gated && verdict?.state !== 'Passed',
      governedBy: governing ? { kind: 'release-policy', name: governing.policy.name, version: governing.policy.version, pattern: governing.pattern } : registryWide ? { kind: 'registry-wide' } : null,
      ...(verdict?.details !== undefined ? { quarantineDetails: verdict.details } : {}),
      ...(verdict ? { verdictUpdatedAt: verdict.updatedAt.toISOString(), verdictUpdatedBy: verdict.updatedBy } : {}),
      ...(evaluation
        ? {
            evaluation: {
              policy: evaluation.policy,
              version: evaluation.version,
              passed: evaluation.passed,
              evaluatedAt: evaluation.evaluatedAt.toISOString(),
              ...(evaluation.violatingSince ? { violatingSince: evaluation.violatingSince.toISOString() } : {}),
              ...(evaluation.requarantineAt ? { requarantineAt: evaluation.requarantineAt.toISOString() } : {}),
              rules: evaluation.rules,
            },
          }
        : {}),
    };
}

export async function dryRun(services: Services, document: PolicyDocument, actor: string, body: { repository?: string; n?: number }) {
  const { store } = services;
    const limit = body.n ?? 1000;
    const now = new Date();
    const candidate: ReleasePolicyRecord = { name: document.name, version: 0, document, source: '', createdAt: now, updatedAt: now, updatedBy: actor };
    // The document in place of the stored policy of that name: which repositories would it govern?
    const policies = [...(await store.releasePolicies.list()).filter((p) => p.name !== document.name), candidate];
    const images: { repository: string; digest: string; tags: string[]; quarantineState: string | null; wouldBe: string; change: string; rules: { rule: string; passed: boolean; pending?: boolean; reason: string }[] }[] = [];
    const counts = { wouldRelease: 0, wouldHold: 0, wouldFail: 0, wouldFlagReleased: 0, unchanged: 0 };
    let truncated = false;
    let last: string | undefined;
    outer: for (;;) {
      const names = await store.repositories.list({ n: 1000, ...(last ? { last } : {}) });
      for (const repository of names) {
        if (!document.repositories.some((p) => matchesPolicyPattern(p, repository))) continue;
        if (body.repository !== undefined && !matchesPolicyPattern(body.repository, repository)) continue;
        if (governingOf(policies, repository)?.policy !== candidate) continue;
        let mlast: string | undefined;
        for (;;) {
          const page = await store.manifests.list(repository, { n: 200, ...(mlast ? { last: mlast } : {}) });
          for (const m of page) {
            if (!isEvaluated(m)) continue;
            if (images.length >= limit) {
              truncated = true;
              break outer;
            }
            const result = await evaluatePolicy(document, await gatherInput(store, services.blobs, m, { now }));
            const current = (await store.verdicts.get(repository, m.digest))?.state ?? null;
            const change = current === 'Passed' ? (result.passed ? 'unchanged' : 'flag-released') : current === result.state ? 'unchanged' : result.state === 'Passed' ? 'release' : result.state === 'Failed' ? 'fail' : 'hold';
            if (change === 'release') counts.wouldRelease++;
            else if (change === 'fail') counts.wouldFail++;
            else if (change === 'hold') counts.wouldHold++;
            else if (change === 'flag-released') counts.wouldFlagReleased++;
            else counts.unchanged++;
            const tags = (await store.tags.list(repository, { digest: m.digest, n: 10 })).map((t) => t.name);
            images.push({ repository, digest: m.digest, tags, quarantineState: current, wouldBe: current === 'Passed' ? 'Passed' : result.state, change, rules: result.rules.map((r) => ({ rule: r.rule, passed: r.passed, ...(r.pending ? { pending: true } : {}), reason: r.reason })) });
          }
          if (page.length < 200) break;
          mlast = page.at(-1)!.digest;
        }
      }
      if (names.length < 1000) break;
      last = names.at(-1);
    }
    return { policy: document.name, ...counts, images, ...(truncated ? { truncated: true } : {}) };
}
