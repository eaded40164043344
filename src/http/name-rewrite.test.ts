import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteRepositoryPath } from './name-rewrite.ts';

test('slashes in repository names become one encoded segment', () => {
  const cases: [string, string][] = [
    ['/v2/team/app/web/manifests/latest', '/v2/team%2Fapp%2Fweb/manifests/latest'],
    ['/v2/library%2Fhello/manifests/v1', '/v2/library%2Fhello/manifests/v1'],
    ['/v2/a/b/blobs/uploads/', '/v2/a%2Fb/blobs/uploads/'],
    ['/v2/a/b/blobs/uploads/123?digest=x', '/v2/a%2Fb/blobs/uploads/123?digest=x'],
    ['/v2/x/blobs/y/manifests/v1?n=1', '/v2/x%2Fblobs%2Fy/manifests/v1?n=1'],
    ['/v2/x/tags/tags/list', '/v2/x%2Ftags/tags/list'],
    ['/v2/_catalog?n=2', '/v2/_catalog?n=2'],
    ['/v2/', '/v2/'],
    ['/acr/v1/_catalog', '/acr/v1/_catalog'],
    ['/acr/v1/a/b', '/acr/v1/a%2Fb'],
    ['/acr/v1/a/b/_tags/v1', '/acr/v1/a%2Fb/_tags/v1'],
    ['/acr/v1/a/b/_manifests?n=1', '/acr/v1/a%2Fb/_manifests?n=1'],
    ['/api/v1/users/x', '/api/v1/users/x'],
    ['/api/v1/repositories/team/app/manifests/sha256:ab/history?n=2', '/api/v1/repositories/team%2Fapp/manifests/sha256:ab/history?n=2'],
    ['/api/v1/repositories/x/manifests/sha256:ab/history', '/api/v1/repositories/x/manifests/sha256:ab/history'],
  ];
  for (const [input, expected] of cases) assert.equal(rewriteRepositoryPath(input), expected, input);
});
