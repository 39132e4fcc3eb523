// The flooding program (a process of its own, as a hostile local program would be, so the page's calls and the
// measurements in the parent are not slowed by it): opens the flood's connections without the token, trickles the slow
// ones, and reports each connection's fate to its parent when all are closed. Started by flood.ts.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface FloodOrder {
  port: number;
  token: string;
  idle: number;
  slowloris: number;
  deadlineMs: number;
}

export interface Flooded {
  opened: number;
  /** Closed by the agent without a word (at its connection caps). */
  refused: number;
  /** Answered (408 too slow, 401…) and closed by the agent. */
  answered: number;
  /** Still open at the flood's deadline: the agent let them hold a descriptor. */
  held: number;
  /** Connections that could not even be made. */
  failedToConnect: number;
  /** The longest a slowloris connection lived, ms. */
  slowlorisMaxMs: number;
  /** When the agent cut each slow body (without, then with the token), ms; null: not before the deadline. */
  slowBodyMs: [number | null, number | null];
}

interface Conn {
  socket: Socket;
  opened: number;
  connected: boolean;
  gotBytes: boolean;
  closedAt: number | null;
}

/** The flood's connections: each one's fate, and a promise kept once all of them are closed. */
class Connections {
  readonly all: Conn[] = [];
  private open = 0;
  private ended: () => void = () => undefined;
  readonly closed = new Promise<void>((resolve) => (this.ended = resolve));

  constructor(private readonly port: number) {}

  /** Opens one; `first` is written once it is connected. */
  start(first?: string): Conn {
    const socket = connect(this.port, '127.0.0.1');
    const conn: Conn = { socket, opened: performance.now(), connected: false, gotBytes: false, closedAt: null };
    this.open++;
    socket.on('connect', () => {
      conn.connected = true;
      if (first) socket.write(first);
    });
    socket.on('data', () => (conn.gotBytes = true));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closedAt = performance.now();
      if (--this.open === 0) this.ended();
    });
    this.all.push(conn);
    return conn;
  }
}

const stillOpen = (c: Conn): boolean => c.connected && c.closedAt === null;

async function flood(order: FloodOrder): Promise<Flooded> {
  const host = `Host: 127.0.0.1:${order.port}\r\n`;
  const post = `POST /api/rpc HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 60000\r\n`;
  const conns = new Connections(order.port);
  const slowBodies = [conns.start(`${post}\r\n`), conns.start(`${post}Authorization: Bearer ${order.token}\r\n\r\n`)];
  const slowloris = Array.from({ length: order.slowloris }, () => conns.start(`GET / HTTP/1.1\r\n${host}`));
  // The slow ones first have their start written, as an attacker would open them, then the idle storm.
  await Promise.all([...slowBodies, ...slowloris].map((c) => once(c.socket, 'connect').catch(() => undefined)));
  const cutAt = performance.now() + order.deadlineMs;
  const deadline = setTimeout(() => conns.all.forEach((c) => c.socket.destroy()), order.deadlineMs);
  // One more header line or body byte a second each: never done, never quite idle.
  const trickle = setInterval(() => {
    for (const conn of slowloris.filter(stillOpen)) conn.socket.write('X-Slow: 1\r\n');
    for (const conn of slowBodies.filter(stillOpen)) conn.socket.write(' ');
  }, 1000);
  for (let i = 0; i < order.idle; i++) {
    conns.start();
    // In batches, yielding between them, so the times this process takes of the slow ones stay true.
    if (i % 100 === 99) await new Promise(setImmediate);
  }
  await conns.closed;
  clearInterval(trickle);
  clearTimeout(deadline);

  const byAgent = (c: Conn): boolean => c.closedAt !== null && c.closedAt < cutAt;
  const life = (c: Conn): number | null => (byAgent(c) ? c.closedAt! - c.opened : null);
  const all = conns.all;
  return {
    opened: all.filter((c) => c.connected).length,
    refused: all.filter((c) => c.connected && byAgent(c) && !c.gotBytes).length,
    answered: all.filter((c) => byAgent(c) && c.gotBytes).length,
    held: all.filter((c) => c.connected && !byAgent(c)).length,
    failedToConnect: all.filter((c) => !c.connected).length,
    slowlorisMaxMs: Math.max(0, ...slowloris.map((c) => life(c) ?? order.deadlineMs)),
    slowBodyMs: [life(slowBodies[0]!), life(slowBodies[1]!)],
  };
}

process.send!(await flood(JSON.parse(process.argv[2]!) as FloodOrder));
process.disconnect();
