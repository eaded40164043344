/**
 * `lazaret webhook create|list|show|update|delete|ping|events|redeliver|config`: webhooks
 * through /api/v1/webhooks (Owner/Contributor). `--header K=V` repeats; `--secret` sets the
 * HMAC key (docs/webhooks.md); `config` is the only way to read back the URI and headers.
 */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as S from '../../management-api/webhooks-schemas.ts';
import { CliError, callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

// The wire types are the server's schemas (one declaration for the API, the CLI and the portal).
type WebhookResource = Static<typeof S.WebhookResource>;
type WebhookList = Static<typeof S.WebhookList>;
type EventList = Static<typeof S.EventList>;

const path = (name: string) => `/api/v1/webhooks/${encodeURIComponent(name)}`;
const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseHeaders(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new CliError(`--header ${pair}: expected NAME=VALUE`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1);
  }
  return out;
}

const parseActions = (list: string) => list.split(',').map((a) => a.trim()).filter(Boolean);

function row(w: WebhookResource) {
  const d = w.properties.deliveries;
  return {
    name: w.name,
    status: w.properties.status,
    actions: w.properties.actions.join(','),
    scope: w.properties.scope || '(all)',
    signed: w.properties.hasSecret ? 'yes' : 'no',
    pending: d.pending,
    delivered: d.delivered,
    failed: d.failed,
  };
}

function status(s: string | undefined) {
  if (s !== undefined && s !== 'enabled' && s !== 'disabled') throw new CliError('--status must be enabled or disabled');
  return s as 'enabled' | 'disabled' | undefined;
}

export function registerWebhook(program: Command) {
  const webhook = program.command('webhook').description('webhooks: push, delete and quarantine notifications, delivered at least once');

  withConnection(
    webhook
      .command('create <name>')
      .description('create (or replace) a webhook')
      .requiredOption('--uri <url>', 'where to POST events')
      .requiredOption('--actions <list>', 'comma-separated: push,delete,quarantine,scan,chart_push,chart_delete')
      .option('--scope <scope>', 'repo:tag, repo:* or repo (= repo:latest); empty: everything', '')
      .option('--header <name=value>', 'custom header (repeatable)', collect)
      .option('--secret <secret>', 'sign deliveries with HMAC-SHA256 (16 to 256 characters)')
      .option('--status <status>', 'enabled or disabled', 'enabled'),
  ).action(async (name: string, opts: Opts & { uri: string; actions: string; scope: string; header?: string[]; secret?: string; status: string }) => {
    const properties = {
      serviceUri: opts.uri,
      actions: parseActions(opts.actions),
      scope: opts.scope,
      status: status(opts.status),
      customHeaders: parseHeaders(opts.header) ?? {},
      ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    };
    const res = await callApi<WebhookResource>(resolveConnection(opts), 'PUT', path(name), { properties });
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`webhook ${res.body.name} ${res.status === 201 ? 'created' : 'replaced'}`);
  });

  withConnection(webhook.command('list').description('list webhooks with delivery counts')).action(async (opts: Opts) => {
    const all: WebhookResource[] = [];
    let next: string | undefined = '/api/v1/webhooks?n=100';
    const conn = resolveConnection(opts);
    while (next) {
      const page: WebhookList = (await callApi<WebhookList>(conn, 'GET', next)).body;
      all.push(...page.value);
      next = page.nextLink;
    }
    printResult(opts.output, all, all.map(row));
  });

  withConnection(webhook.command('show <name>').description('show a webhook (the URI and headers only with `webhook config`)')).action(async (name: string, opts: Opts) => {
    const res = await callApi<WebhookResource>(resolveConnection(opts), 'GET', path(name));
    printResult(opts.output, res.body, [row(res.body)]);
  });

  withConnection(webhook.command('config <name>').description('show the write-only URI and custom headers (getCallbackConfig)')).action(async (name: string, opts: Opts) => {
    const res = await callApi<Static<typeof S.CallbackConfig>>(resolveConnection(opts), 'POST', path(name) + '/getCallbackConfig');
    printResult(opts.output, res.body, [{ serviceUri: res.body.serviceUri, headers: Object.entries(res.body.customHeaders).map(([k, v]) => `${k}=${v}`).join(' ') }]);
  });

  withConnection(
    webhook
      .command('update <name>')
      .description('change some properties of a webhook')
      .option('--uri <url>', 'where to POST events')
      .option('--actions <list>', 'comma-separated actions')
      .option('--scope <scope>', 'new scope ("" for everything)')
      .option('--header <name=value>', 'replace the custom headers (repeatable)', collect)
      .option('--clear-headers', 'remove every custom header')
      .option('--secret <secret>', 'set the signing secret (HMAC-SHA256, 16 to 256 characters)')
      .option('--remove-secret', 'stop signing deliveries')
      .option('--status <status>', 'enabled or disabled'),
  ).action(async (name: string, opts: Opts & { uri?: string; actions?: string; scope?: string; header?: string[]; clearHeaders?: boolean; secret?: string; removeSecret?: boolean; status?: string }) => {
    const properties: Record<string, unknown> = {};
    if (opts.uri !== undefined) properties.serviceUri = opts.uri;
    if (opts.actions !== undefined) properties.actions = parseActions(opts.actions);
    if (opts.scope !== undefined) properties.scope = opts.scope;
    if (opts.header !== undefined) properties.customHeaders = parseHeaders(opts.header);
    if (opts.clearHeaders) properties.customHeaders = {};
    if (opts.secret !== undefined) properties.secret = opts.secret;
    if (opts.removeSecret) properties.secret = null;
    if (opts.status !== undefined) properties.status = status(opts.status);
    if (Object.keys(properties).length === 0) throw new CliError('nothing to update: pass at least one option');
    const res = await callApi<WebhookResource>(resolveConnection(opts), 'PATCH', path(name), { properties });
    printResult(opts.output, res.body, [row(res.body)]);
  });

  withConnection(webhook.command('delete <name>').description('delete a webhook; its pending deliveries are dropped')).action(async (name: string, opts: Opts) => {
    await callApi(resolveConnection(opts), 'DELETE', path(name));
    if (opts.output !== 'json') console.log(`webhook ${name} deleted`);
  });

  withConnection(webhook.command('ping <name>').description('send a ping event; its delivery shows in `webhook events`')).action(async (name: string, opts: Opts) => {
    const res = await callApi<Static<typeof S.EventInfo>>(resolveConnection(opts), 'POST', path(name) + '/ping');
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`ping queued: event ${res.body.id}`);
  });

  withConnection(
    webhook
      .command('events <name>')
      .description('the delivery log, newest first')
      .option('-n, --limit <n>', 'how many', '20')
      .option('--last <cursor>', 'continue after this cursor (printed after a full page)'),
  ).action(async (name: string, opts: Opts & { limit: string; last?: string }) => {
    const q = new URLSearchParams({ n: opts.limit, ...(opts.last ? { last: opts.last } : {}) });
    const res = await callApi<EventList>(resolveConnection(opts), 'GET', `${path(name)}/events?${q}`);
    printResult(
      opts.output,
      res.body,
      res.body.value.map((e) => ({
        id: e.id,
        action: e.action,
        status: e.status,
        attempts: e.attempts,
        response: e.eventResponseMessage?.statusCode ?? e.attemptLog.at(-1)?.error ?? '',
        durationMs: e.duration ?? '',
        created: e.createdTime,
        next: e.nextAttemptTime ?? '',
      })),
    );
    if (opts.output !== 'json' && res.body.nextLink) console.log(`more: --last ${new URLSearchParams(res.body.nextLink.split('?')[1]).get('last')}`);
  });

  withConnection(webhook.command('redeliver <name> <event-id>').description('deliver an event again (also a failed one), with a fresh retry budget')).action(async (name: string, id: string, opts: Opts) => {
    const res = await callApi<Static<typeof S.RedeliverResult>>(resolveConnection(opts), 'POST', `${path(name)}/events/${encodeURIComponent(id)}/redeliver`);
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`event ${res.body.id} queued for redelivery`);
  });
}
