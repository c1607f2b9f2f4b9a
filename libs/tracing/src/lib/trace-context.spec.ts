import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { currentTraceparent, messageContext, traced, tracedJob, tracingEnabled } from './trace-context';
import { toTracingConfig, tracingEnvSchema } from './tracing.config';
import { startTracing } from './tracing.sdk';

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const traceparentOf = (span: ReadableSpan) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`;

describe('trace context helpers', () => {
  const exporter = new InMemorySpanExporter();

  it('do nothing but run the work while tracing is off', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(traced('x', {}, () => 7)).toBe(7);
    expect(currentTraceparent()).toBeUndefined();
    await expect(
      tracedJob(
        'send-message',
        'j',
        () => {
          throw new Error('read with tracing off');
        },
        async () => 'done',
      ),
    ).resolves.toBe('done');
  });

  it('once started, nest spans and carry each message of a batch job on in its own trace', async () => {
    const handle = startTracing(toTracingConfig(tracingEnvSchema.parse({}), 'test'), exporter);
    expect(handle).toBeDefined();
    expect(tracingEnabled()).toBe(true);

    // Three sends, each its own trace, whose contexts a job carries.
    const sends = ['a', 'b', 'c'].map((name) => traced(`send ${name}`, { parent: trace.deleteSpan(context.active()) }, () => currentTraceparent() as string));
    const seen = new Map<string, string | undefined>();
    await tracedJob(
      'send-message',
      'deliver:a+2',
      () => [...sends, sends[0] as string, ''],
      async () => {
        for (const send of sends) traced('emit', { parent: messageContext(send) }, () => seen.set(send, currentTraceparent()));
      },
    );

    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const batch = byName('job send-message batch');
    expect(batch).toHaveLength(1);
    expect(parentOf(batch[0] as ReadableSpan)).toBeUndefined();
    expect((batch[0] as ReadableSpan).links.map((l) => l.context.traceId).sort()).toEqual(sends.map((s) => s.slice(3, 35)).sort());
    const jobs = byName('job send-message');
    expect(jobs).toHaveLength(3);
    for (const send of sends) {
      const job = jobs.find((j) => j.spanContext().traceId === send.slice(3, 35)) as ReadableSpan;
      // A child of its message's send, linked to the batch.
      expect(parentOf(job)).toBe(send.slice(36, 52));
      expect(job.links.map((l) => l.context.spanId)).toEqual([(batch[0] as ReadableSpan).spanContext().spanId]);
      const emit = byName('emit').find((e) => traceparentOf(e) === seen.get(send)) as ReadableSpan;
      expect(parentOf(emit)).toBe(job.spanContext().spanId);
    }
  });

  it('a job of one message is one span, a child of its context; a failure marks it', async () => {
    exporter.reset();
    const send = traced('send', { parent: trace.deleteSpan(context.active()) }, () => currentTraceparent() as string);
    await expect(
      tracedJob(
        'send-message',
        'deliver:x',
        () => [send],
        async () => {
          expect(messageContext(send)).toBe(context.active());
          throw new Error('boom');
        },
      ),
    ).rejects.toThrow('boom');
    const [job] = exporter.getFinishedSpans().filter((s) => s.name === 'job send-message');
    expect(parentOf(job as ReadableSpan)).toBe(send.slice(36, 52));
    expect(job?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'boom' });
  });
});
