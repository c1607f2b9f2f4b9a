'use client';

import { useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useState } from 'react';
import { api, isApiError } from '../lib/api-client';
import { LOGIN_PATH } from '../lib/endpoints';
import { loginPathFor } from '../lib/navigation';
import { useSession } from '../lib/session';
import type { PublicUser } from '@mq/messaging-contracts';
import { AdminRealtimeProvider } from '../lib/admin-realtime';
import { ConsoleNav } from './console-nav';
import { SearchBox } from './search-box';

/**
 * Everything behind the login: checks the session with `GET /api/me`, and sends anyone
 * without one (401, or an api that cannot be reached) to /login. Nothing of the console
 * renders until the api has said who is signed in.
 */
export function ConsoleShell({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname() ?? '/';
  const session = useSession();
  const user = session.data;
  // Not signed in: the api said so (401), or the first check failed in any way (api down,
  // 5xx, timeout). A later re-check that merely fails to reach the api keeps the operator
  // on the page: the dashboard shows the api as unavailable instead.
  const signedOut = session.isError && (user === undefined || (isApiError(session.error) && session.error.status === 401));

  useEffect(() => {
    if (signedOut) router.replace(loginPathFor(pathname));
  }, [signedOut, pathname, router]);

  if (signedOut) return <FullPageStatus message="Not signed in. Redirecting to the sign-in page…" />;
  if (user === undefined) return <FullPageStatus message="Checking your session…" />;

  return (
    <div className="console">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <ConsoleHeader user={user} />
      <main id="main" className="console-main" tabIndex={-1}>
        {user.role === 'admin' ? (
          <AdminRealtimeProvider>{children}</AdminRealtimeProvider>
        ) : (
          <section className="panel" aria-labelledby="no-access-title">
            <h1 id="no-access-title">No access</h1>
            <p>This account cannot use the console. Sign out and sign in with an admin account.</p>
          </section>
        )}
      </main>
    </div>
  );
}

function FullPageStatus({ message }: { message: string }) {
  return (
    <main className="full-page-status">
      <p role="status" aria-live="polite">
        {message}
      </p>
    </main>
  );
}

function ConsoleHeader({ user }: { user: PublicUser }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [signingOut, setSigningOut] = useState(false);
  const [error, setError] = useState('');

  async function signOut() {
    setSigningOut(true);
    setError('');
    try {
      await api.post('/auth/logout');
    } catch (caught) {
      // 401: the session had already ended, which is what signing out wants.
      if (!(isApiError(caught) && caught.status === 401)) {
        setError(
          isApiError(caught) && !caught.isUnavailable
            ? `Sign-out failed: ${caught.message}`
            : 'Sign-out failed: the API is unreachable. Try again in a moment.',
        );
        setSigningOut(false);
        return;
      }
    }
    queryClient.clear();
    router.replace(LOGIN_PATH);
  }

  return (
    <header className="console-header">
      <div className="console-header-bar">
        <p className="product-name">Message pipeline console</p>
        {user.role === 'admin' ? <SearchBox /> : null}
        <div className="account">
          <span className="account-email" title={user.displayName}>
            <span className="visually-hidden">Signed in as </span>
            {user.email}
          </span>
          <button type="button" className="button" onClick={signOut} disabled={signingOut}>
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </div>
      {error ? (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      ) : null}
      <ConsoleNav />
    </header>
  );
}
