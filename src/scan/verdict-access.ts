/**
 * The principal the scan orchestrator records a verdict (and its report referrers) as:
 * `scanner:<name>` (or `scanner:index` for an index judged by its children), holding quarantine
 * write on the job's repository and nothing else (src/access/actions.ts verdictWriterAccess).
 */
import { verdictWriterAccess } from '../access/actions.ts';

export const scanVerdictAccess = verdictWriterAccess;
