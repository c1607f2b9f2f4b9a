import type { Message, MessageNewEvent, MessageTimeline } from '@mq/messaging-contracts';
import { MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { OtlpPeer, ReceivedSpan, TestStack, startOtlpPeer } from '@mq/system-testing';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const SPAN_KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 };

describe('tracing: one message is one trace, across the api and worker processes', () => {
  let collector: OtlpPeer;
  let stack: TestStack;
  let alice: { id: string; client: MessagingClient };
  let bob: { id: string; client: MessagingClient };
  const sockets: RealtimeConnection[] = [];

  beforeAll(async () => {
    collector = await startOtlpPeer();
    stack = await TestStack.start({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        // Spans leave each process within 100 ms instead of 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
        TRACE_URL_TEMPLATE: 'http://jaeger.test:16686/trace/{traceId}',
      },
    });
    [alice, bob] = (await stack.users(2, 0)) as [typeof alice, typeof bob];
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
    await collector?.close();
  });

  const open = async (client: MessagingClient) => {
    const connection = client.connect();
    sockets.push(connection);
    await connection.ready();
    return connection;
  };
  const inTrace = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);
  /** Each process exports on its own schedule: waits until the trace has these spans (a name twice: at least two). */
  const exported = (traceId: string, names: string[]) =>
    eventually(
      () => (names.every((name) => inTrace(traceId).filter((s) => s.name === name).length >= names.filter((n) => n === name).length) ? true : undefined),
      `spans ${names.join(', ')} exported`,
    );
  /** The one span of the trace so named (and parented, when given). */
  const only = (traceId: string, name: string, parent?: ReceivedSpan) => {
    const found = inTrace(traceId).filter((s) => s.name === name && (!parent || s.parentSpanId === parent.spanId));
    expect({ name, count: found.length }).toEqual({ name, count: 1 });
    return found[0] as ReceivedSpan;
  };

  it('follows POST /messages to the recipient socket, its ack and its read receipt, and the timeline links the trace', async () => {
    const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    const bobSocket = await open(bob.client);
    const bobGot: MessageNewEvent[] = [];
    bobSocket.on('message:new', (message) => void bobGot.push(message));

    const sent = await alice.client.sendMessage({ conversationId: conversation.id, content: 'Traced hello', clientMessageId: 't-1' });
    expect(sent.status).toBe(202);
    const received = await eventually(() => bobGot.find((m) => m.id === sent.body.message.id), 'bob to receive it');
    const [, traceId, emitSpanId] = TRACEPARENT.exec(received.traceparent ?? '') ?? [];
    expect(traceId).toBeDefined();

    // A traceparent that is not one is refused, and changes nothing.
    await expect(bobSocket.ackDelivered(received.id, 'not-a-traceparent')).rejects.toMatchObject({ statusCode: 400 });

    // Delivered over the socket (echoing the event's traceparent), read over REST with a traceparent header.
    await bobSocket.ackDelivered(received.id, received.traceparent);
    const read = await fetch(`${stack.api().url}/messages/${received.id}/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.client.token}`, traceparent: received.traceparent as string },
    });
    expect(read.status).toBe(204);

    const id = traceId as string;
    await exported(id, [
      'outbox publish send-message',
      'job send-message',
      'socket emit message:new',
      'socket message:delivered',
      'job delivery-confirmation',
      'job delivery-confirmation',
    ]);

    // POST /messages (api) -> outbox publish (api) -> send job (worker) -> socket emit (worker)
    const root = inTrace(id).find((s) => s.parentSpanId === '') as ReceivedSpan;
    expect(root).toMatchObject({ service: 'api', kind: SPAN_KIND.SERVER, scope: '@opentelemetry/instrumentation-http' });
    expect(JSON.stringify(root.attributes)).toContain('/messages');
    const publish = only(id, 'outbox publish send-message');
    expect(publish.service).toBe('api');
    expect(ancestors(inTrace(id), publish)).toContain(root.spanId);
    const job = only(id, 'job send-message', publish);
    expect(job).toMatchObject({ service: 'worker', kind: SPAN_KIND.CONSUMER });
    const emit = only(id, 'socket emit message:new', job);
    expect(emit).toMatchObject({ service: 'worker', kind: SPAN_KIND.PRODUCER, spanId: emitSpanId });
    // -> the ack (api) -> its receipt job (worker)
    const ack = only(id, 'socket message:delivered', emit);
    expect(ack).toMatchObject({ service: 'api', kind: SPAN_KIND.SERVER });
    const receiptJobs = inTrace(id).filter((s) => s.name === 'job delivery-confirmation');
    expect(receiptJobs.every((s) => s.service === 'worker')).toBe(true);
    expect(receiptJobs.some((s) => ancestors(inTrace(id), s).includes(ack.spanId))).toBe(true);
    // -> the REST read (api, its HTTP span a child of the emit) -> its receipt job (worker)
    const readRequest = await eventually(
      () => inTrace(id).find((s) => s.kind === SPAN_KIND.SERVER && s.parentSpanId === emit.spanId && s.scope === '@opentelemetry/instrumentation-http'),
      'the read request span',
    );
    expect(readRequest).toMatchObject({ service: 'api' });
    expect(receiptJobs.some((s) => ancestors(inTrace(id), s).includes(readRequest.spanId))).toBe(true);
    // Postgres queries of both processes are in the trace too.
    const pg = inTrace(id).filter((s) => s.scope === '@opentelemetry/instrumentation-pg');
    expect(new Set(pg.map((s) => s.service))).toEqual(new Set(['api', 'worker']));
    // Every span's parent is in the trace: nothing hangs off a span of another trace.
    const ids = new Set(inTrace(id).map((s) => s.spanId));
    expect(inTrace(id).filter((s) => s.parentSpanId !== '' && !ids.has(s.parentSpanId))).toEqual([]);

    // The timeline has the trace id on each traced hop, and the trace's link.
    const admin = await stack.admin();
    const timeline = await eventually(async () => {
      const body: MessageTimeline = await admin.operator.getMessageTimeline(received.id);
      return body.events.some((e) => e.kind === 'published' && e.trace) && body.events.some((e) => e.kind === 'read' && e.trace) ? body : undefined;
    }, 'the timeline to show the traced hops');
    const link = { traceId: id, traceUrl: `http://jaeger.test:16686/trace/${id}` };
    expect(timeline.trace).toEqual(link);
    for (const kind of ['published', 'attempt', 'delivered', 'read']) {
      expect({ kind, trace: timeline.events.find((e) => e.kind === kind && e.trace)?.trace }).toEqual({ kind, trace: link });
    }
  });

  it('traces a socket message:send the same way', async () => {
    const { body: conversation } = await bob.client.createConversation({ type: 'direct', participantIds: [alice.id] });
    const aliceSocket = await open(alice.client);
    const bobSocket = await open(bob.client);
    const aliceGot: MessageNewEvent[] = [];
    aliceSocket.on('message:new', (message) => void aliceGot.push(message));
    const reply: Message = await bobSocket.sendViaSocket({ conversationId: conversation.id, content: 'Traced reply', clientMessageId: 't-2' });
    const received = await eventually(() => aliceGot.find((m) => m.id === reply.id), 'alice to receive it');
    const traceId = TRACEPARENT.exec(received.traceparent ?? '')?.[1] as string;
    await aliceSocket.ackDelivered(received.id, received.traceparent);
    await exported(traceId, [
      'socket message:send',
      'outbox publish send-message',
      'job send-message',
      'socket emit message:new',
      'socket message:delivered',
      'job delivery-confirmation',
    ]);
    const root = only(traceId, 'socket message:send');
    expect(root).toMatchObject({ service: 'api', kind: SPAN_KIND.SERVER, parentSpanId: '' });
    const job = only(traceId, 'job send-message', only(traceId, 'outbox publish send-message', root));
    only(traceId, 'socket message:delivered', only(traceId, 'socket emit message:new', job));
  });
});

/** The span ids above a span, nearest first. */
function ancestors(spans: readonly ReceivedSpan[], span: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) chain.push(parent.spanId);
  return chain;
}
