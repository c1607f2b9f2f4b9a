import type { Metadata } from 'next';
import { SearchResults } from '../../../components/search-results';

export const metadata: Metadata = { title: 'Search' };

export default async function SearchPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { q } = await searchParams;
  const query = (Array.isArray(q) ? q[0] : q)?.trim() ?? '';
  return <SearchResults key={query} q={query} />;
}
