/**
 * TypeBox schemas of /api/v1/webhooks (ACR's ARM webhook shapes, ACR's API reference 4.1). The
 * OpenAPI document is generated from these. Deeper checks TypeBox cannot express (URI scheme,
 * header names, scope grammar) are in webhooks-input.ts.
 */
import { Type } from 'typebox';

export const WebhookName = Type.String({ pattern: '^[a-zA-Z0-9]{5,50}$', description: '5-50 letters and digits' });
/** WEBHOOK_ACTIONS of src/events/event-payloads.ts, spelled out so TypeBox infers the literals. */
const Action = Type.Union([
  Type.Literal('push'),
  Type.Literal('delete'),
  Type.Literal('quarantine'),
  Type.Literal('scan'),
  Type.Literal('chart_push'),
  Type.Literal('chart_delete'),
]);
const Status = Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]);
const Headers = Type.Record(Type.String(), Type.String({ maxLength: 4096 }), { description: 'write-only', maxProperties: 32 });

export const NameParams = Type.Object({ name: WebhookName });
export const EventParams = Type.Object({ name: WebhookName, id: Type.String({ minLength: 1, maxLength: 64 }) });
export const PageQuery = Type.Object({
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  last: Type.Optional(Type.String({ maxLength: 512 })),
});

export const CreateBody = Type.Object({
  location: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  properties: Type.Object({
    serviceUri: Type.String({ minLength: 1, maxLength: 2048, description: 'write-only' }),
    customHeaders: Type.Optional(Headers),
    status: Type.Optional(Status),
    scope: Type.Optional(Type.String({ maxLength: 512 })),
    actions: Type.Array(Action, { minItems: 1, maxItems: 5, uniqueItems: true }),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'write-only HMAC key (Lazaret)' })),
  }),
});

export const UpdateBody = Type.Object({
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  properties: Type.Optional(
    Type.Object({
      serviceUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
      customHeaders: Type.Optional(Headers),
      status: Type.Optional(Status),
      scope: Type.Optional(Type.String({ maxLength: 512 })),
      actions: Type.Optional(Type.Array(Action, { minItems: 1, maxItems: 5, uniqueItems: true })),
      secret: Type.Optional(Type.Union([Type.String({ minLength: 16, maxLength: 256 }), Type.Null()], { description: 'null removes the secret' })),
    }),
  ),
});

const Counts = Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() });

export const WebhookResource = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  properties: Type.Object({
    status: Status,
    scope: Type.String(),
    actions: Type.Array(Action),
    provisioningState: Type.String(),
    hasSecret: Type.Boolean(),
    createdTime: Type.String(),
    lastUpdateTime: Type.String(),
    deliveries: Counts,
  }),
});

export const WebhookList = Type.Object({ value: Type.Array(WebhookResource), nextLink: Type.Optional(Type.String()) });
export const CallbackConfig = Type.Object({ serviceUri: Type.String(), customHeaders: Type.Record(Type.String(), Type.String()) });
export const EventInfo = Type.Object({ id: Type.String() });

const RequestMessage = Type.Object({
  content: Type.Optional(Type.Any()),
  headers: Type.Record(Type.String(), Type.String()),
  method: Type.String(),
  requestUri: Type.String(),
  version: Type.String(),
});
const ResponseMessage = Type.Object({
  content: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  reasonPhrase: Type.String(),
  statusCode: Type.String(),
  version: Type.String(),
});

export const AttemptView = Type.Object({
  attempt: Type.Integer(),
  timestamp: Type.String(),
  duration: Type.Integer({ description: 'milliseconds' }),
  eventRequestMessage: RequestMessage,
  eventResponseMessage: Type.Optional(ResponseMessage),
  error: Type.Optional(Type.String()),
});

export const EventView = Type.Object({
  id: Type.String(),
  action: Type.String(),
  status: Type.String({ description: 'pending | delivering | delivered | failed' }),
  attempts: Type.Integer(),
  duration: Type.Optional(Type.Integer({ description: 'milliseconds of the last attempt' })),
  createdTime: Type.String(),
  nextAttemptTime: Type.Optional(Type.String()),
  eventRequestMessage: RequestMessage,
  eventResponseMessage: Type.Optional(ResponseMessage),
  attemptLog: Type.Array(AttemptView),
});

export const EventList = Type.Object({ value: Type.Array(EventView), nextLink: Type.Optional(Type.String()) });
export const RedeliverResult = Type.Object({ id: Type.String(), status: Type.String() });
