import type { Metadata } from 'next';
import { AccessLedger } from '../../../components/access-ledger';

export const metadata: Metadata = { title: 'Access ledger' };

/** `?subjectId=` opens the page on that person's accesses. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { subjectId } = await searchParams;
  return <AccessLedger initialSubjectId={typeof subjectId === 'string' ? subjectId : ''} />;
}
