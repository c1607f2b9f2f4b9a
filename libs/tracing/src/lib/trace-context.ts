import { Context, Link, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

/*
 * The helpers the hot path calls. With tracing off (no SDK started) each returns at its first
 * line: no span, no context lookup, no allocation beyond the call.
 */

let started = false;

/** Called once by startTracing, after the SDK is registered. */
export function markTracingStarted(): void {
  started = true;
}

export function tracingEnabled(): boolean {
  return started;
}

const tracer = () => trace.getTracer('school-message-pipeline');

/** The W3C traceparent of a context (the active one by default); undefined when off or there is no span. */
export function currentTraceparent(ctx?: Context): string | undefined {
  if (!started) return undefined;
  const carrier: { traceparent?: string } = {};
  propagation.inject(ctx ?? context.active(), carrier);
  return carrier.traceparent;
}

/** The remote context a traceparent names (the root context when it names none). */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

export interface TracedOptions {
  /** The parent: a traceparent, a context, or (undefined) the active context. */
  parent?: string | Context;
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `fn` in a new span, ended when `fn` returns or its promise settles; off: `fn()` alone. */
export function traced<T>(name: string, options: TracedOptions, fn: () => T): T {
  if (!started) return fn();
  const parent = options.parent === undefined ? context.active() : typeof options.parent === 'string' ? contextOf(options.parent) : options.parent;
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links }, parent);
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

/** Per message of a batch job: the context of that message's job span (see tracedJob). */
const MESSAGE_SPANS = createContextKey('mq.message-job-spans');

/**
 * Runs a job in its spans. Each distinct trace context the job carries (a message's, a
 * receipt's) gets a job span of its own, a child of that context, so each message's trace goes
 * on through the job. A batch of several also gets one batch span, linked to each of them, and
 * active while the job runs; messageContext finds a message's own span. A job with no context
 * is a trace of its own. `traceparents` is read only when tracing is on.
 */
export function tracedJob<T>(name: string, jobId: string, traceparents: () => readonly string[], fn: () => Promise<T>): Promise<T> {
  if (!started) return fn();
  const distinct = [...new Set(traceparents().filter((t) => t !== ''))];
  const attributes = { 'messaging.system': 'bull', 'messaging.operation.name': 'process', 'messaging.message.id': jobId, 'mq.job.name': name };
  if (distinct.length <= 1) return traced(`job ${name}`, { parent: distinct[0] ?? ROOT_CONTEXT, kind: SpanKind.CONSUMER, attributes }, fn);
  const batch = tracer().startSpan(
    `job ${name} batch`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { ...attributes, 'messaging.batch.message_count': distinct.length },
      links: distinct.flatMap((t) => linkTo(contextOf(t))),
    },
    ROOT_CONTEXT,
  );
  const spans = new Map<string, Context>();
  const ended: Span[] = [batch];
  for (const traceparent of distinct) {
    const parent = contextOf(traceparent);
    const span = tracer().startSpan(`job ${name}`, { kind: SpanKind.CONSUMER, attributes, links: [{ context: batch.spanContext() }] }, parent);
    ended.push(span);
    spans.set(traceparent, trace.setSpan(parent, span));
  }
  const end = () => ended.forEach((span) => span.end());
  return context.with(trace.setSpan(ROOT_CONTEXT, batch).setValue(MESSAGE_SPANS, spans), fn).then(
    (value) => {
      end();
      return value;
    },
    (error: unknown) => {
      ended.forEach((span) => fail(span, error));
      end();
      throw error;
    },
  );
}

function linkTo(ctx: Context): Link[] {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext ? [{ context: spanContext }] : [];
}

/**
 * Where a message's work inside a job belongs: its own job span in a batch, the job's span
 * when the job is that message's alone, else (a context the job did not open) the message's context.
 */
export function messageContext(traceparent: string | undefined): Context {
  const active = context.active();
  if (!traceparent) return active;
  const own = (active.getValue(MESSAGE_SPANS) as Map<string, Context> | undefined)?.get(traceparent);
  if (own) return own;
  return trace.getSpanContext(active)?.traceId === traceparent.slice(3, 35) ? active : contextOf(traceparent);
}

/** A span over work done for items of several traces (e.g. one relayed outbox row): a child of the first, linked to the others. */
export function spanOptionsFor(traceparents: readonly string[], kind: SpanKind = SpanKind.INTERNAL): TracedOptions {
  const [first, ...others] = traceparents;
  return { parent: contextOf(first), kind, links: others.flatMap((t) => linkTo(contextOf(t))) };
}
