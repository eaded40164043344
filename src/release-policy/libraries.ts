/**
 * The release policies' expression and verification libraries, loaded on first use: CEL
 * (@bufbuild/cel, with @bufbuild/protobuf and re2), Sigstore's (@sigstore/bundle, core,
 * protobuf-specs, verify) and cbor2 (Notation's COSE envelopes). Loaded at start they were
 * ~4 MiB of an idle registry's RSS (bench/README.md, issue 15), and a registry without release
 * policies never calls them.
 *
 * The two ways into them, parsePolicyDocument (./document.ts) and evaluatePolicy
 * (./evaluate.ts), are asynchronous and await loadPolicyLibraries() first; the synchronous code
 * under them (the rule checks, ./sigstore.ts, ./notation.ts, ./timestamp-token.ts) reads
 * policyLibraries(), which throws if nothing loaded them: a new caller that skips the two
 * fails loudly on its first use instead of loading a library in the middle of a check.
 */
import type * as Cel from '@bufbuild/cel';
import type * as SigstoreBundle from '@sigstore/bundle';
import type * as SigstoreCore from '@sigstore/core';
import type * as SigstoreSpecs from '@sigstore/protobuf-specs';
import type * as SigstoreVerify from '@sigstore/verify';
import type * as Cbor from 'cbor2';

export interface PolicyLibraries {
  cel: typeof Cel;
  bundle: typeof SigstoreBundle;
  core: typeof SigstoreCore;
  specs: typeof SigstoreSpecs;
  verify: typeof SigstoreVerify;
  cbor: typeof Cbor;
}

let loaded: PolicyLibraries | undefined;
let loading: Promise<PolicyLibraries> | undefined;

/** Loads the libraries once; a failed load is forgotten, so the next call tries again. */
export function loadPolicyLibraries(): Promise<PolicyLibraries> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= Promise.all([import('@bufbuild/cel'), import('@sigstore/bundle'), import('@sigstore/core'), import('@sigstore/protobuf-specs'), import('@sigstore/verify'), import('cbor2')]).then(
    ([cel, bundle, core, specs, verify, cbor]) => (loaded = { cel, bundle, core, specs, verify, cbor }),
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** The loaded libraries, for the synchronous code under parsePolicyDocument and evaluatePolicy. */
export function policyLibraries(): PolicyLibraries {
  if (!loaded) throw new Error('release-policy libraries used before loadPolicyLibraries() resolved (enter through parsePolicyDocument or evaluatePolicy)');
  return loaded;
}
