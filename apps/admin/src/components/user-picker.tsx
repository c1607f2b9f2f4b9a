'use client';

import type { User } from '@mq/messaging-contracts';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../lib/api-client';

const MATCHES = 10;

/** Finds an account by name or email (the users list's search) and picks one. */
export function UserPicker({ label, onPick }: { label: string; onPick: (user: User) => void }) {
  const id = useId();
  const [search, setSearch] = useState('');
  const term = search.trim();
  const matches = useQuery({
    queryKey: ['user-picker', term],
    queryFn: ({ signal }) => api.get('/users', { query: { search: term, limit: MATCHES }, signal }),
    enabled: term.length >= 2,
  });
  return (
    <div className="filters" role="search" aria-label={label}>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input id={id} type="search" value={search} placeholder="name or email" maxLength={100} onChange={(e) => setSearch(e.target.value)} />
      </div>
      {term.length >= 2 && matches.data ? (
        matches.data.length === 0 ? (
          <p className="muted">Nobody matches.</p>
        ) : (
          <ul className="picker-matches" aria-label="Matching people">
            {matches.data.map((user) => (
              <li key={user.id}>
                <button type="button" className="button button-small" onClick={() => onPick(user)}>
                  {user.displayName} ({user.email})
                </button>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </div>
  );
}
