/** `lazaret anonymous-pull status|enable|disable` and `lazaret signing-key list|rotate` (Owner for changes). */
import type { Command } from 'commander';
import type { Static } from 'typebox';
import type * as S from '../../management-api/identity-schemas.ts';
import { callApi, printResult, resolveConnection, withConnection, type ConnectionOptions } from '../api-client.ts';

type Opts = ConnectionOptions & { output?: string };

export function registerAnonymous(program: Command) {
  const anon = program.command('anonymous-pull').description('registry-wide pull without credentials (never reaches held content)');
  withConnection(anon.command('status').description('is anonymous pull on?')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof S.AnonymousPull>>(resolveConnection(opts), 'GET', '/api/v1/anonymous-pull');
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`anonymous pull is ${res.body.enabled ? 'enabled' : 'disabled'}`);
  });
  for (const verb of ['enable', 'disable'] as const) {
    withConnection(anon.command(verb).description(`${verb} anonymous pull`)).action(async (opts: Opts) => {
      const res = await callApi<Static<typeof S.AnonymousPull>>(resolveConnection(opts), 'PUT', '/api/v1/anonymous-pull', { enabled: verb === 'enable' });
      if (opts.output === 'json') printResult('json', res.body);
      else console.log(`anonymous pull is ${res.body.enabled ? 'enabled' : 'disabled'}`);
    });
  }

  const keys = program.command('signing-key').description('the keys that sign access and refresh tokens');
  withConnection(keys.command('list').description('list signing keys')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof S.SigningKey>[]>(resolveConnection(opts), 'GET', '/api/v1/signing-keys');
    printResult(opts.output, res.body, res.body.map((k) => ({ kid: k.kid, created: k.createdAt, retired: k.retiredAt ?? '(signing)' })));
  });
  withConnection(keys.command('rotate').description('sign with a new key from now on; old keys verify until their tokens expire')).action(async (opts: Opts) => {
    const res = await callApi<Static<typeof S.SigningKeyRotated>>(resolveConnection(opts), 'POST', '/api/v1/signing-keys/rotate');
    if (opts.output === 'json') printResult('json', res.body);
    else console.log(`now signing with key ${res.body.kid}`);
  });
}
