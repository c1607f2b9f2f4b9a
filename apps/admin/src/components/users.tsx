'use client';

import { USER_ROLES, type User, type UserRole } from '@mq/messaging-contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../lib/api-client';
import { formatDateTime } from '../lib/format';
import { LoadMore } from './load-more';
import { describeError } from './queue-overview';

const PAGE_LIMIT = 50;

/** `user` covers staff and families alike: what they may do is by conversation, not by role. */
const ROLE_LABELS: Record<UserRole, string> = { user: 'User (staff or family)', operator: 'Operator', admin: 'Admin' };

type ActiveFilter = '' | 'true' | 'false';

interface UsersPage {
  users: User[];
  nextCursor: string | null;
}

interface Notice {
  text: string;
  error: boolean;
  /** A reset password, shown once. */
  password?: string;
}

/** Every account: find, create, deactivate or reactivate, change a role, reset a password. Each action is audited by the api. */
export function Users({ initialSearch = '' }: { initialSearch?: string }) {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState(initialSearch);
  const [role, setRole] = useState<UserRole | ''>('');
  const [active, setActive] = useState<ActiveFilter>('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const users = useInfiniteQuery({
    queryKey: ['users', search.trim(), role, active],
    queryFn: async ({ pageParam, signal }): Promise<UsersPage> => {
      const query = { limit: PAGE_LIMIT, cursor: pageParam, search: search.trim() || undefined, role: role || undefined, active: active || undefined };
      const answer = await api.getWithAnswer('/users', { query, signal });
      return { users: answer.body ?? [], nextCursor: answer.headers.get('x-next-cursor') };
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['users'] });
  const failed = (what: string) => (error: unknown) => setNotice({ text: `${what} failed: ${describeError(error)}`, error: true });

  const update = useMutation({
    mutationFn: ({ user, changes }: { user: User; changes: { active?: boolean; role?: UserRole } }) =>
      api.patch('/users/{id}', { path: { id: user.id }, body: changes }),
    onSuccess: (updated, { changes }) => {
      const what =
        changes.active === undefined ? `is now ${ROLE_LABELS[updated.role]}` : updated.active ? 'is active again' : 'is deactivated: signed out everywhere';
      setNotice({ text: `${updated.email} ${what}.`, error: false });
      refresh();
    },
    onError: failed('Update'),
  });
  const reset = useMutation({
    mutationFn: (user: User) => api.post('/users/{id}/password-reset', { path: { id: user.id } }),
    onSuccess: (answer, user) => setNotice({ text: `New password for ${user.email}, shown once:`, error: false, password: answer.password }),
    onError: failed('Password reset'),
  });

  const rows = users.data?.pages.flatMap((page) => page.users) ?? [];
  return (
    <>
      <h1>Users</h1>
      <p className="muted">
        Accounts of staff, families and operators. Deactivating a user or changing their role signs them out at once, sockets included. Try the product as any
        user on{' '}
        <a href="/chat" target="_blank" rel="noopener noreferrer">
          /chat
        </a>
        .
      </p>
      <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
        {notice?.text ?? ''}
        {notice?.password ? (
          <>
            {' '}
            <code data-testid="one-time-password">{notice.password}</code>
          </>
        ) : null}
      </p>
      <CreateUserForm
        onCreated={(user) => {
          setNotice({ text: `Created ${user.email} (${ROLE_LABELS[user.role]}).`, error: false });
          refresh();
        }}
        onError={failed('Create')}
      />
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title">Accounts</h2>
        <div className="filters" role="search">
          <label>
            Search users
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="email or name" maxLength={120} />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as UserRole | '')}>
              <option value="">Any</option>
              <RoleOptions />
            </select>
          </label>
          <label>
            Status
            <select value={active} onChange={(e) => setActive(e.target.value as ActiveFilter)}>
              <option value="">Any</option>
              <option value="true">Active</option>
              <option value="false">Deactivated</option>
            </select>
          </label>
        </div>
        {users.isError ? (
          <p className="banner banner-error" role="alert">
            Users unavailable: {describeError(users.error)}
          </p>
        ) : !users.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">No user matches.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Users, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((user) => (
                  <tr key={user.id} data-user-id={user.id}>
                    <td>{user.displayName}</td>
                    <td className="mono">{user.email}</td>
                    <td>
                      <select
                        aria-label={`Role of ${user.email}`}
                        value={user.role}
                        disabled={update.isPending}
                        onChange={(e) => update.mutate({ user, changes: { role: e.target.value as UserRole } })}
                      >
                        <RoleOptions />
                      </select>
                    </td>
                    <td data-active={user.active}>{user.active ? 'Active' : 'Deactivated'}</td>
                    <td>{formatDateTime(user.createdAt)}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-small"
                        disabled={update.isPending}
                        onClick={() => update.mutate({ user, changes: { active: !user.active } })}
                      >
                        {user.active ? 'Deactivate' : 'Reactivate'}
                        <span className="visually-hidden"> {user.email}</span>
                      </button>
                      <button type="button" className="button button-small" disabled={reset.isPending} onClick={() => reset.mutate(user)}>
                        Reset password<span className="visually-hidden"> of {user.email}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore query={users} label="Load more" />
      </section>
    </>
  );
}

function CreateUserForm({ onCreated, onError }: { onCreated: (user: User) => void; onError: (error: unknown) => void }) {
  const [form, setForm] = useState({ email: '', displayName: '', role: 'user' as UserRole, password: '' });
  const create = useMutation({
    mutationFn: () =>
      api.post('/users', { body: { email: form.email.trim(), displayName: form.displayName.trim(), role: form.role, password: form.password } }),
    onSuccess: (user) => {
      setForm({ email: '', displayName: '', role: 'user', password: '' });
      onCreated(user);
    },
    onError,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="panel" aria-labelledby="create-user-title">
      <h2 id="create-user-title">New user</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          Email
          <input type="email" required maxLength={320} value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </label>
        <label>
          Display name
          <input required maxLength={120} value={form.displayName} onChange={(e) => setForm({ ...form, displayName: e.target.value })} />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as UserRole })}>
            <RoleOptions />
          </select>
        </label>
        <label>
          Password
          <input
            type="password"
            required
            minLength={8}
            maxLength={1024}
            autoComplete="new-password"
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
        </label>
        <button type="submit" className="button" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create user'}
        </button>
      </form>
    </section>
  );
}

function RoleOptions() {
  return USER_ROLES.map((r) => (
    <option key={r} value={r}>
      {ROLE_LABELS[r]}
    </option>
  ));
}
