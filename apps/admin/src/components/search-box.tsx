'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useId } from 'react';
import { PAGES } from '../lib/endpoints';

/** Jobs and messages by job id, message id, user id or error text (`GET /jobs/search`). */
export function SearchBox() {
  const router = useRouter();
  const inputId = useId();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const q = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    if (q) router.push(PAGES.search(q));
  }
  return (
    <form role="search" className="search-box" onSubmit={onSubmit}>
      <label htmlFor={inputId} className="visually-hidden">
        Search jobs and messages
      </label>
      <input id={inputId} name="q" type="search" placeholder="Job id, message id, user id or error" autoComplete="off" spellCheck={false} maxLength={200} />
      <button type="submit" className="button button-small">
        Search
      </button>
    </form>
  );
}
