/**
 * A TCP relay on 127.0.0.1 in front of a server (PostgreSQL), to cut one client off from
 * it the two ways a network does:
 *
 * - `refuse()`: every relayed connection is reset and new ones are refused (the listening
 *   socket is closed): a host that answers with RST, a server restarted, a firewall REJECT.
 * - `hang()`: connections stay open but nothing passes either way, and new ones are
 *   accepted and then hang too: a firewall DROP, a cable pulled. Bytes already sent wait in
 *   the relay (both sides stop being read), as TCP would retransmit them; a side that
 *   closes is not seen by the other.
 * - `restore()`: forwarding resumes; hung connections carry what waited (a partition that
 *   heals), a side that closed meanwhile is closed on the other side too, and the port
 *   accepts again after a refuse.
 *
 * Loopback only; `close()` (afterAll / finally) ends everything it opened.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type RelayState = 'open' | 'refusing' | 'hanging';

export interface TcpRelay {
  port: number;
  state(): RelayState;
  /** Connections accepted so far (a client reconnecting shows up here). */
  accepted(): number;
  refuse(): Promise<void>;
  hang(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpRelay(target: { host: string; port: number }, port = 0): Promise<TcpRelay> {
  if (!target.host.startsWith('127.')) throw new Error('the test relay forwards to 127.0.0.0/8 only');
  let state: RelayState = 'open';
  let accepted = 0;
  const pairs = new Set<Pair>();
  let server: Server | null = null;

  const flow = (pair: Pair, on: boolean): void => {
    for (const s of [pair.client, pair.upstream]) {
      if (on) s.resume();
      else s.pause();
    }
  };

  const onConnection = (client: Socket): void => {
    accepted++;
    const upstream = createConnection({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    // A side that closes while hanging does not reach the other side (nothing passes):
    // the server keeps a session whose client is gone until the relay is restored or closed.
    const end = (): void => {
      if (state === 'hanging') return;
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Data is written only while open; paused sockets are not read, so bytes wait in the kernel.
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => client.write(d));
    if (state === 'hanging') flow(pair, false);
  };

  const listen = (at: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(at, '127.0.0.1', () => {
        server = s;
        const address = s.address();
        resolve(typeof address === 'object' && address ? address.port : at);
      });
    });

  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  const boundPort = await listen(port);
  return {
    port: boundPort,
    state: () => state,
    accepted: () => accepted,
    async refuse() {
      state = 'refusing';
      for (const p of pairs) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      await stopListening();
      pairs.clear();
    },
    hang() {
      state = 'hanging';
      for (const p of pairs) flow(p, false);
    },
    async restore() {
      if (state === 'refusing') await listen(boundPort);
      state = 'open';
      for (const p of [...pairs]) {
        // A side that closed while hanging: its close passes now.
        if (p.client.destroyed || p.upstream.destroyed) {
          pairs.delete(p);
          p.client.destroy();
          p.upstream.destroy();
        } else flow(p, true);
      }
    },
    async close() {
      state = 'refusing';
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await stopListening();
    },
  };
}
