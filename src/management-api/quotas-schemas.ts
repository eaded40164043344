/** Wire types of /api/v1/quotas (schema only: the CLI and the portal import them as types). */
import { Type } from 'typebox';

export const QuotaRule = Type.Object(
  { repositories: Type.String({ minLength: 1, maxLength: 300 }), bytes: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

export const QuotaPolicy = Type.Object({ quotas: Type.Array(QuotaRule, { maxItems: 100 }) }, { additionalProperties: false });

export const QuotaUsage = Type.Object({ repository: Type.String(), quota: Type.String(), limit: Type.Integer(), used: Type.Integer() });

export const QuotasAnswer = Type.Object({ quotas: Type.Array(QuotaRule), usage: Type.Array(QuotaUsage) });

export const RecountBody = Type.Object({ repository: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })) }, { additionalProperties: false });

export const UsageRecount = Type.Object({ repository: Type.String(), stored: Type.Integer(), counted: Type.Integer() });

export const RecountAnswer = Type.Object({ repositories: Type.Integer(), corrected: Type.Array(UsageRecount) });
