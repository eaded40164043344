/**
 * The release policy module's persistence: policies and their versions, evaluations, exceptions
 * and the durable re-evaluation queue (contracts: ../policy-store.ts, ../reevaluation-queue.ts;
 * tables: tables.ts; migrations 008-release-policy, 020-reevaluation-queue; conformance section:
 * suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { EvaluationStore, ExceptionStore, ReleasePolicyStore } from '../policy-store.ts';
import type { ReevaluationQueue } from '../reevaluation-queue.ts';
import * as release008 from './migrations/008-release-policy.ts';
import * as release020 from './migrations/020-reevaluation-queue.ts';
import { createReevaluationQueue } from './sql/reevaluations.ts';
import { createEvaluationStore, createReleasePolicyStore } from './sql/policies.ts';
import { createExceptionStore } from './sql/exceptions.ts';

export interface ReleasePolicyRoles {
  releasePolicies: ReleasePolicyStore;
  releaseEvaluations: EvaluationStore;
  policyExceptions: ExceptionStore;
  releaseReevaluations: ReevaluationQueue;
}

export const releasePolicyStore: ModuleStore<ReleasePolicyRoles> = {
  name: 'release-policy',
  migrations: [
    ['008-release-policy', release008],
    ['020-reevaluation-queue', release020],
  ],
  createRoles: (db) => ({ releasePolicies: createReleasePolicyStore(db), releaseEvaluations: createEvaluationStore(db), policyExceptions: createExceptionStore(db), releaseReevaluations: createReevaluationQueue(db) }),
};
