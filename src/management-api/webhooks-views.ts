/**
 * Response shapes of /api/v1/webhooks. A webhook looks like ACR's ARM resource, without its
 * write-only fields (serviceUri, customHeaders, secret: only getCallbackConfig returns the
 * first two, the secret never leaves). A delivery looks like ACR's listEvents `Event`
 * (eventRequestMessage / eventResponseMessage of the latest attempt) plus Lazaret's status,
 * attempt count, duration and the log of every attempt.
 */
import type { AttemptRecord, DeliveryCounts, DeliveryWithLog, WebhookRecord } from '../events/index.ts';
import { formatAcrTimestamp } from '../events/index.ts';

export const WEBHOOK_TYPE = 'Microsoft.ContainerRegistry/registries/webhooks';

export function webhookResource(w: WebhookRecord, counts: DeliveryCounts = { pending: 0, delivered: 0, failed: 0 }) {
  return {
    id: `/api/v1/webhooks/${w.name}`,
    name: w.name,
    type: WEBHOOK_TYPE,
    properties: {
      status: w.status,
      scope: w.scope,
      actions: w.actions,
      provisioningState: 'Succeeded',
      hasSecret: w.secret !== undefined,
      createdTime: formatAcrTimestamp(w.createdAt),
      lastUpdateTime: formatAcrTimestamp(w.updatedAt),
      deliveries: counts,
    },
  };
}

function requestMessage(a: AttemptRecord, content?: unknown) {
  return { ...(content !== undefined ? { content } : {}), headers: a.requestHeaders, method: 'POST', requestUri: a.requestUri, version: '1.1' };
}

function responseMessage(a: AttemptRecord) {
  if (a.responseStatus === undefined) return undefined;
  return {
    content: a.responseBody ?? '',
    headers: a.responseHeaders ?? {},
    reasonPhrase: a.responseReason ?? '',
    statusCode: String(a.responseStatus),
    version: '1.1',
  };
}

function attemptView(a: AttemptRecord) {
  const response = responseMessage(a);
  return {
    attempt: a.attempt,
    timestamp: formatAcrTimestamp(a.startedAt),
    duration: a.durationMs,
    eventRequestMessage: requestMessage(a),
    ...(response ? { eventResponseMessage: response } : {}),
    ...(a.error !== undefined ? { error: a.error } : {}),
  };
}

export function eventView(d: DeliveryWithLog, webhook: Pick<WebhookRecord, 'serviceUri'> & { maskedUri: string }) {
  const last = d.log.at(-1);
  const response = last ? responseMessage(last) : undefined;
  return {
    id: d.eventId,
    action: d.action,
    status: d.state,
    attempts: d.log.length,
    ...(last ? { duration: last.durationMs } : {}),
    createdTime: formatAcrTimestamp(d.createdAt),
    ...(d.state === 'pending' ? { nextAttemptTime: formatAcrTimestamp(d.nextAttemptAt) } : {}),
    eventRequestMessage: last
      ? requestMessage(last, d.payload)
      : { content: d.payload, headers: {}, method: 'POST', requestUri: webhook.maskedUri, version: '1.1' },
    ...(response ? { eventResponseMessage: response } : {}),
    attemptLog: d.log.map(attemptView),
  };
}
