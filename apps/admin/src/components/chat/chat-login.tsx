'use client';

import type { MessagingClient } from '@mq/messaging-client';
import { ApiError, NetworkError, RequestTimeoutError } from '@mq/messaging-client';
import type { PublicUser } from '@mq/messaging-contracts';
import { type FormEvent, useState } from 'react';
import { createChatClient } from '../../lib/chat';

export interface ChatSession {
  client: MessagingClient;
  user: PublicUser;
}

export function chatLoginError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong email or password.';
    if (error.status === 429) return 'Too many sign-in attempts. Wait a minute, then try again.';
    if (error.status >= 500) return 'The service is unavailable. Try again in a moment.';
    return error.messages.join('; ') || 'Sign-in failed.';
  }
  if (error instanceof NetworkError || error instanceof RequestTimeoutError) return 'The service is unreachable. Try again in a moment.';
  return 'Sign-in failed.';
}

export function ChatLogin({ onSignedIn }: { onSignedIn: (session: ChatSession) => void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const form = new FormData(event.currentTarget);
    setError('');
    setBusy(true);
    const client = createChatClient(window.location.origin);
    try {
      const { user } = await client.login({ email: String(form.get('email') ?? '').trim(), password: String(form.get('password') ?? '') });
      onSignedIn({ client, user });
    } catch (caught) {
      setError(chatLoginError(caught));
      setBusy(false);
    }
  }

  return (
    <main className="login-page">
      <div className="login-card">
        <p className="product-name">School messages</p>
        <h1>Chat sign-in</h1>
        <p className="muted">Sign in as a staff member or a family. This does not sign you in to the operator console.</p>
        <form className="login-form" onSubmit={onSubmit}>
          <div className="field">
            <label htmlFor="chat-email">Email</label>
            <input id="chat-email" name="email" type="email" autoComplete="username" spellCheck={false} autoCapitalize="none" required />
          </div>
          <div className="field">
            <label htmlFor="chat-password">Password</label>
            <input id="chat-password" name="password" type="password" autoComplete="current-password" required />
          </div>
          <p className="form-error" role="alert">
            {error}
          </p>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
