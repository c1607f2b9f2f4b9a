import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A real HTTP peer for this library's specs (not exported): records what the client sent
 * and answers what the test says. Lives outside src/lib so the browser-safe build never sees node:http.
 */

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the client sent JSON, else the raw text ('' when none). */
  body: unknown;
}

export interface CannedResponse {
  status?: number;
  /** Sent as JSON unless `raw` is given. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Never answer (timeout tests). */
  hang?: boolean;
  /** Send the headers and part of the body, then stall. */
  stallBody?: boolean;
}

export type Responder = (request: RecordedRequest) => CannedResponse | Promise<CannedResponse>;

export interface JsonTestServer {
  baseUrl: string;
  requests: RecordedRequest[];
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export async function startJsonTestServer(responder: Responder = () => ({ status: 200, body: {} })): Promise<JsonTestServer> {
  let respond = responder;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const isJson = (req.headers['content-type'] ?? '').includes('json') && text.length > 0;
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: isJson ? JSON.parse(text) : text,
      };
      requests.push(recorded);
      void Promise.resolve(respond(recorded)).then((answer) => {
        if (answer.hang) return;
        const status = answer.status ?? 200;
        const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
        const headers: Record<string, string> = { ...answer.headers };
        if (answer.raw === undefined && payload) headers['content-type'] = 'application/json; charset=utf-8';
        if (answer.stallBody) {
          res.writeHead(status, { ...headers, 'content-length': String(payload.length + 10) });
          res.write(payload.slice(0, 1));
          return;
        }
        res.writeHead(status, headers);
        res.end(payload);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    respondWith: (next) => {
      respond = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging and keep-alive sockets would otherwise hold the server (and Jest) open.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
