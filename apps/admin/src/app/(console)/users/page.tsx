import type { Metadata } from 'next';
import { Users } from '../../../components/users';

export const metadata: Metadata = { title: 'Users' };

/** `?search=` opens the page on that search (the audit log links a user's id here). */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { search } = await searchParams;
  return <Users initialSearch={typeof search === 'string' ? search : ''} />;
}
