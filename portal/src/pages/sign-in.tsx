/** Sign-in with registry credentials. The password is kept in memory for this tab only. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, signInWithPassword } from '../api/client.ts';
import { endSession, startSession } from '../api/session.ts';

export function SignIn() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const userField = useRef<HTMLInputElement>(null);
  const [authOff, setAuthOff] = useState(false);

  // A registry running with `auth.mode: none` asks for no credentials: offer to continue.
  useEffect(() => {
    fetch('/acr/v1/_catalog?n=1', { credentials: 'omit', cache: 'no-store', headers: { Accept: 'application/json' } }).then(
      (r) => setAuthOff(r.ok),
      () => undefined,
    );
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await signInWithPassword(username, password);
      setPassword('');
      if (result === 'auth-off') startSession(null, { authOff: true });
      else startSession({ username, refreshToken: result });
    } catch (err) {
      endSession();
      setBusy(false);
      setPassword('');
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setError('The username or password is not correct.');
      else setError(`Could not sign in: ${(err as Error).message}`);
      userField.current?.focus();
    }
  };

  return (
    <section class="signin card">
      <h1>
        <img src="/portal/favicon.svg" alt="" width="32" height="32" /> Lazaret
      </h1>
      {authOff && (
        <div class="notice">
          <p>Authentication is off on this registry (<code>auth.mode: none</code>): anyone can use it.</p>
          <button type="button" class="primary" onClick={() => startSession(null, { authOff: true })}>
            Continue without signing in
          </button>
        </div>
      )}
      <p class="muted">Sign in with your registry credentials (a user, or a token name and its password).</p>
      <form onSubmit={submit} aria-describedby={error ? 'signin-error' : undefined}>
        <label class="field">
          Username
          <input
            ref={userField}
            name="username"
            autoComplete="username"
            required
            autoFocus
            value={username}
            onInput={(e) => setUsername((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        {error && (
          <p id="signin-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted small">Your session lives only in this tab's memory: reloading or closing the tab signs you out. The password is used once, to get a session token, and is not kept.</p>
    </section>
  );
}
