/**
 * The daemon's HTTP surface on node:http: probes, /metrics, the JSON API and HTML reports.
 * Sockets, limits, auth and error mapping live here; what each route answers lives in routes.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { bearerMatches } from './auth.js';
import type { HttpServerDeps } from './deps.js';
import { HttpError } from './errors.js';
import { routes, type Reply, type Route } from './routes.js';

export type { HttpLogger, HttpServerDeps, HttpTimeouts, MetricsRenderer } from './deps.js';
export type { ChangeQuery, FindingEpisodeQuery, HistoryReader } from './history-reader.js';

export interface DriftdHttpServer {
  /** Resolves with the address actually bound (port 0 picks a free port). */
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Whole request, headers included: a slow client cannot hold a socket for long. */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Node enforces the two timeouts above only when it sweeps connections; its default sweep is every 30 s. */
const MAX_SWEEP_INTERVAL_MS = 1_000;
/** How long close() lets in-flight requests finish before cutting their sockets (idle ones close at once). */
const CLOSE_GRACE_MS = 5_000;

function send(res: ServerResponse, reply: Reply): void {
  const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...reply.headers };
  if ('chunks' in reply) {
    // Pre-encoded bytes (the /metrics exposition): written as they are, no copy.
    const length = reply.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    res.writeHead(reply.status, { ...common, 'Content-Type': reply.contentType, 'Content-Length': length });
    for (const chunk of reply.chunks) res.write(chunk);
    res.end();
    return;
  }
  const [body, contentType] =
    'json' in reply ? [`${JSON.stringify(reply.json)}\n`, 'application/json; charset=utf-8'] : [reply.text, reply.contentType];
  res.writeHead(reply.status, { ...common, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Status, reason phrase and message for a request node's parser refused. */
function clientErrorReply(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'request headers too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'request not received in time'];
    default:
      return [400, 'Bad Request', 'malformed HTTP request'];
  }
}

function errorReply(error: HttpError): Reply {
  return { status: error.status, json: { error: error.message }, headers: error.headers };
}

/** Reads and discards the body, refusing more than `limit` bytes. Bodies carry nothing the API uses yet. */
function drainBody(req: IncomingMessage, limit: number): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        req.off('data', onData);
        reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
      }
    };
    req.on('data', onData);
    req.once('end', () => resolve());
    // A client that hangs up mid-body is its own problem, not a server error worth logging.
    req.once('error', () => reject(new HttpError(400, 'the request body could not be read')));
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

function allowedMethods(route: Route): string {
  const methods = Object.keys(route.methods);
  return (route.methods.GET ? [...methods, 'HEAD'] : methods).join(', ');
}

export function createHttpServer(deps: HttpServerDeps): DriftdHttpServer {
  const table = routes(deps);
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://driftd.invalid');
    const match = table.map((route) => ({ route, found: route.pattern.exec(url.pathname) })).find((m) => m.found !== null);

    const token = typeof deps.token === 'function' ? deps.token() : deps.token;
    if (!match?.route.public && token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      deps.logger.warn({ method: req.method, path: url.pathname, remote: req.socket.remoteAddress }, 'http: missing or wrong bearer token');
      throw new HttpError(401, 'a valid bearer token is required (Authorization: Bearer <token>)', {
        'WWW-Authenticate': 'Bearer realm="driftd"',
      });
    }
    if (!match?.found) throw new HttpError(404, `no route for ${url.pathname}`);

    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = method === 'GET' || method === 'POST' ? match.route.methods[method] : undefined;
    if (!handler) {
      throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`, { Allow: allowedMethods(match.route) });
    }
    await drainBody(req, maxBodyBytes);
    return handler({ params: match.found.slice(1).map(decodeSegment), query: url.searchParams, view: deps.getView() });
  }

  const headersTimeout = deps.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(deps.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS, headersTimeout);
  const sweep = { connectionsCheckingInterval: Math.min(MAX_SWEEP_INTERVAL_MS, Math.ceil(headersTimeout / 2)) };
  const server = createServer({ requestTimeout, headersTimeout, ...sweep }, (req, res) => {
    handle(req)
      .then((reply) => send(res, reply))
      .catch((error: unknown) => {
        if (res.headersSent) {
          deps.logger.error({ err: error, method: req.method, path: req.url }, 'http: failed while sending a reply');
          res.destroy();
          return;
        }
        if (error instanceof HttpError) {
          send(res, errorReply(error));
          return;
        }
        deps.logger.error({ err: error, method: req.method, path: req.url }, 'http: request failed');
        send(res, { status: 500, json: { error: 'internal error; see the driftd log' } });
      });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.maxHeadersCount = 100;
  // Malformed requests and slow clients get 400, 408 or 431 as JSON like every other API
  // error (node's own answers are bare), then a closed socket.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Like node's own handler: answer only while nothing of a reply went out yet.
    const pending = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || pending?.headersSent === true) {
      socket.destroy();
      return;
    }
    const [status, reason, message] = clientErrorReply(error.code);
    const body = `${JSON.stringify({ error: message })}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}
