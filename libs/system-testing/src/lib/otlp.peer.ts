import { createServer } from 'node:http';

/** A span as an OTLP/HTTP JSON export carries it (ids in hex), with its process's service name. */
export interface ReceivedSpan {
  service: string;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

/** A local OpenTelemetry collector: answers OTLP/HTTP JSON exports on `/v1/traces` and keeps their spans. */
export interface OtlpPeer {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Export requests received, and how many were not OTLP JSON. */
  requests: number;
  rejected: number;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value?: AnyValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  links?: { traceId: string; spanId: string }[];
}
interface ExportRequest {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}

const valueOf = (value: AnyValue | undefined): unknown => value?.stringValue ?? value?.intValue ?? value?.boolValue ?? value?.doubleValue;
const toRecord = (attributes: KeyValue[] = []) => Object.fromEntries(attributes.map((a) => [a.key, valueOf(a.value)]));

/** `keep: false` (the bench's discard receiver): count requests, keep no spans. */
export async function startOtlpPeer(options: { keep?: boolean } = {}): Promise<OtlpPeer> {
  const keep = options.keep ?? true;
  const peer: OtlpPeer = { endpoint: '', spans: [], requests: 0, rejected: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      peer.requests += 1;
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        peer.rejected += 1;
        res.writeHead(415).end();
        return;
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
        for (const resourceSpans of keep ? (body.resourceSpans ?? []) : []) {
          const service = String(toRecord(resourceSpans.resource?.attributes)['service.name'] ?? '');
          for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
            for (const span of scopeSpans.spans ?? []) {
              peer.spans.push({
                service,
                scope: scopeSpans.scope?.name ?? '',
                name: span.name,
                kind: span.kind,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId ?? '',
                attributes: toRecord(span.attributes),
                links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              });
            }
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        peer.rejected += 1;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  peer.endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
