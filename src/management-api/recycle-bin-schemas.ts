/** Wire types of /api/v1/recycle-bin (schema only: the CLI and the portal import them as types). */
import { Type } from 'typebox';

export const RecycleBinQuery = Type.Object({
  repository: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  last: Type.Optional(Type.String({ maxLength: 400 })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

export const RecycleBinTarget = Type.Object(
  { repository: Type.String({ minLength: 1, maxLength: 255 }), digest: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const RecycledEntry = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  tags: Type.Array(Type.String()),
  deletedAt: Type.String(),
  deletedBy: Type.String(),
  expiresAt: Type.String(),
  quarantineState: Type.Union([Type.String(), Type.Null()]),
});

export const RecycleBinPage = Type.Object({ days: Type.Integer(), entries: Type.Array(RecycledEntry), next: Type.Optional(Type.String()) });

export const RestoreAnswer = Type.Object({ restored: RecycledEntry, tags: Type.Array(Type.String()), skippedTags: Type.Array(Type.String()) });

/** POST /api/v1/recycle-bin/purge: the entry deleted for good. */
export const PurgeAnswer = Type.Object({ purged: RecycledEntry });
