import type { Metadata } from 'next';
import { JobDetail } from '../../../../components/job-detail';
import { decodeParam } from '../../../../lib/endpoints';

export const metadata: Metadata = { title: 'Job' };

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const jobId = decodeParam((await params).id);
  return <JobDetail key={jobId} jobId={jobId} />;
}
