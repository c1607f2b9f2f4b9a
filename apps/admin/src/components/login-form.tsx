'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { api, isApiError } from '../lib/api-client';
import { safeNextPath } from '../lib/navigation';
import { SESSION_QUERY_KEY } from '../lib/session';

export const LOGIN_MESSAGES = {
  wrongCredentials: 'Wrong email or password.',
  forbidden: 'This account cannot use the console.',
  unreachable: 'The API is unreachable. Try again in a moment.',
  tooMany: 'Too many sign-in attempts. Wait a minute, then try again.',
  unexpected: 'Sign-in failed. Try again in a moment.',
} as const;

export function messageForLoginError(error: unknown): string {
  if (!isApiError(error)) return LOGIN_MESSAGES.unreachable;
  if (error.isUnavailable) return LOGIN_MESSAGES.unreachable;
  switch (error.status) {
    case 401:
      return LOGIN_MESSAGES.wrongCredentials;
    case 403:
      return LOGIN_MESSAGES.forbidden;
    case 429:
      return LOGIN_MESSAGES.tooMany;
    case 400:
      return error.message || LOGIN_MESSAGES.unexpected;
    default:
      return LOGIN_MESSAGES.unexpected;
  }
}

export interface LoginFormProps {
  /** Where to go once signed in (already checked by `safeNextPath`). */
  nextPath?: string;
}

export function LoginForm({ nextPath = '/' }: LoginFormProps) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [error, setError] = useState('');
  const [submitting, setSubmitting] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '').trim();
    const password = String(form.get('password') ?? '');

    setError('');
    setSubmitting(true);
    try {
      const answer = await api.post('/auth/login', { body: { email, password } });
      if (answer?.user && answer.user.role !== 'admin') {
        // The api should refuse non-admins with 403; if it let one in, do not keep that session.
        await api.post('/auth/logout').catch(() => undefined);
        setError(LOGIN_MESSAGES.forbidden);
        setSubmitting(false);
        return;
      }
      queryClient.removeQueries({ queryKey: SESSION_QUERY_KEY });
      // Stay disabled while the next page loads.
      router.replace(safeNextPath(nextPath));
    } catch (caught) {
      setError(messageForLoginError(caught));
      setSubmitting(false);
    }
  }

  return (
    <form className="login-form" onSubmit={onSubmit}>
      <div className="field">
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          name="email"
          type="email"
          autoComplete="username"
          inputMode="email"
          spellCheck={false}
          autoCapitalize="none"
          required
          aria-invalid={error === LOGIN_MESSAGES.wrongCredentials || undefined}
        />
      </div>
      <div className="field">
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={error === LOGIN_MESSAGES.wrongCredentials || undefined}
        />
      </div>
      <p className="form-error" role="alert">
        {error}
      </p>
      <button type="submit" className="button button-primary" disabled={submitting} aria-disabled={submitting}>
        {submitting ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
