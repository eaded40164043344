/**
 * The release policy module's persistence: policies and their versions, evaluations, exceptions
 * (contracts: ../policy-store.ts; tables: tables.ts; migration 008-release-policy; conformance
 * section: suite.ts).
 */
import type { ModuleStore } from '../../metadata/module-store.ts';
import type { EvaluationStore, ExceptionStore, ReleasePolicyStore } from '../policy-store.ts';
import * as release008 from './migrations/008-release-policy.ts';
import { createEvaluationStore, createReleasePolicyStore } from './sql/policies.ts';
import { createExceptionStore } from './sql/exceptions.ts';

export interface ReleasePolicyRoles {
  releasePolicies: ReleasePolicyStore;
  releaseEvaluations: EvaluationStore;
  policyExceptions: ExceptionStore;
}

export const releasePolicyStore: ModuleStore<ReleasePolicyRoles> = {
  name: 'release-policy',
  migrations: [['008-release-policy', release008]],
  createRoles: (db) => ({ releasePolicies: createReleasePolicyStore(db), releaseEvaluations: createEvaluationStore(db), policyExceptions: createExceptionStore(db) }),
};
