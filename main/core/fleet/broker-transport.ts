import { randomBytes } from 'node:crypto';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { z } from 'zod';
import { FleetWireErrorSchema, FrameSchema, type BrokerView, type FleetWireCode, type Frame } from '../../common/fleet.js';
import { errorText, fail, ok, type Failure, type Result } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import { connectionWords } from '../../common/connection-words.js';
import type { Logger } from '../ports.js';
import { MAX_BODY } from './http-transport.js';
import type { Sealer } from './seal.js';
import type { FleetInbound, FleetTransport } from './transport.js';

/**
 * The broker path (issue 29 item 5): for machines that cannot reach each other directly, both dial out to an MQTT
 * broker the user chose and trade the same sealed frames there. The broker sees only sizes and timing: payloads are
 * the paired boxes without the machines' keys, and each topic is a name only the two machines of a pair can derive (Sealer.channel), one for
 * questions and one for answers per direction. An answer carries its question's MQTT 5 correlation data. Pairing
 * itself stays on one network (hello is not offered here).
 */
const TOPIC_ROOT = 'synor-fleet/1/';
/** Through a broker on another network an answer takes longer than on the LAN, but a poll must not hang the view. */
const SEND_TIMEOUT_MS = 4_000;
/** A broker that is down is asked again this often (each try is one TCP connection). */
const RECONNECT_MS = 10_000;
const CORRELATION_BYTES = 16;

type Kind = 'ask' | 'answer';
type Answer = Result<Frame, FleetWireCode>;
type FleetWireError = z.infer<typeof FleetWireErrorSchema>;

export interface BrokerDeps {
  sealer: Sealer;
  inbound: FleetInbound;
  /** The machines paired now: the ones whose messages this machine listens for. */
  peers(): string[];
  logger: Logger;
  told(message: string): void;
}

/** On the broker a frame travels without its names: the topic already tells the two machines who sent it to whom. */
const wire = ({ v, nonce, box }: Frame): string => JSON.stringify({ v, nonce, box });

/** The frame a payload on a pair's topic stands for, its names put back; anything else is undefined. */
function frameOf(payload: Buffer, from: string, to: string): Frame | FleetWireError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const frame = FrameSchema.safeParse({ ...json, from, to });
  if (frame.success) return frame.data;
  const error = FleetWireErrorSchema.safeParse(json);
  return error.success ? error.data : undefined;
}

/** The broker's host, as a user recognises it in a sentence (never its password). */
const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 80);
  }
};

export class BrokerLink implements FleetTransport {
  private client: MqttClient | null = null;
  private url: string | null = null;
  /** Told to the user on each change: connected, or not reachable (the first failure too). */
  private state: 'new' | 'up' | 'down' = 'new';
  /** What stopped the last try to reach the broker, in plain words, while it is down. */
  private problem: Failure<'BROKER_UNREACHABLE'> | null = null;
  /** Topic → the peer and kind of message it carries to this machine, for every topic subscribed now. */
  private readonly topics = new Map<string, { peer: string; kind: Kind }>();
  /** Correlation (hex) → the question waiting for its answer, and from whom the answer must come. */
  private readonly waiting = new Map<string, { peer: string; settle: (answer: Answer) => void }>();
  private readonly changes = new SerialQueue();

  constructor(private readonly d: BrokerDeps) {}

  /** The broker as the Fleet page shows it: its host (never a password) and whether it is reached now. */
  view(): BrokerView | null {
    if (this.url === null) return null;
    const state = this.state === 'up' ? 'connected' : this.state === 'down' ? 'unreachable' : 'connecting';
    return { host: hostOf(this.url), state, reason: state === 'unreachable' ? (this.problem?.message ?? null) : null };
  }

  /** Whether the user set a broker (reached now or not). */
  get wanted(): boolean {
    return this.url !== null;
  }

  /** Whether frames can be sent this way now. */
  get on(): boolean {
    return this.state === 'up';
  }

  private topic(peer: string, kind: Kind, toPeer: boolean): string {
    const self = this.d.sealer.self.id;
    return TOPIC_ROOT + this.d.sealer.channel(peer, kind, toPeer ? self : peer, toPeer ? peer : self);
  }

  /** Connects to `url`, or stays away from any broker when null; one change at a time. */
  follow(url: string | null): Promise<void> {
    return this.changes.run(async () => {
      if (url === this.url) return;
      await this.disconnect();
      if (url !== null) await this.connect(url);
    });
  }

  close(): Promise<void> {
    return this.changes.run(() => this.disconnect());
  }

  /** Subscriptions follow who is paired (called after each pairing or revocation). */
  refresh(): Promise<void> {
    return this.changes.run(() => this.subscribe());
  }

  hello(): Promise<Result<never, FleetWireCode>> {
    return Promise.resolve(
      fail('UNREACHABLE', 'Pairing needs both machines on the same network; once paired, they can also meet through the broker.'),
    );
  }

  async send(_address: string, frame: Frame): Promise<Answer> {
    const client = this.client;
    if (!client || !this.on) return fail('UNREACHABLE', 'This machine is not connected to the fleet’s message broker.');
    const answers = this.topic(frame.to, 'answer', false);
    if (!this.topics.has(answers)) await this.changes.run(() => this.subscribe());
    const correlation = randomBytes(CORRELATION_BYTES);
    const key = correlation.toString('hex');
    const answer = new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(
          fail(
            'UNREACHABLE',
            'The machine did not answer, directly or through the message broker. Check that it is on, with fleet pairing on and the same broker in its fleet settings.',
          ),
        );
      }, SEND_TIMEOUT_MS);
      this.waiting.set(key, {
        peer: frame.to,
        settle: (value) => {
          clearTimeout(timer);
          this.waiting.delete(key);
          resolve(value);
        },
      });
    });
    client.publish(this.topic(frame.to, 'ask', true), wire(frame), { qos: 0, properties: { correlationData: correlation } });
    return answer;
  }

  private async connect(url: string): Promise<void> {
    const { connect } = await import('mqtt');
    const host = hostOf(url);
    this.url = url;
    const client = connect(url, {
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: SEND_TIMEOUT_MS * 2,
      // The broker forwards nothing bigger than a frame: a larger message never reaches this machine's memory.
      properties: { maximumPacketSize: MAX_BODY + 1024 },
    });
    this.client = client;
    client.on('connect', () => {
      // A clean session starts with no subscriptions: every pair's topics are asked for again.
      this.topics.clear();
      void this.refresh();
      if (this.state !== 'up')
        this.d.told(`Fleet messages also travel through the message broker at ${host}, for machines on other networks.`);
      this.state = 'up';
      this.problem = null;
    });
    const down = (error?: Error): void => {
      if (error) this.d.logger.warn(`fleet broker: ${errorText(error)}`);
      if (this.client !== client) return;
      // The latest reason is shown on the Fleet page; the activity log is told once per change.
      if (error) this.problem = { code: 'BROKER_UNREACHABLE', message: connectionWords(error) };
      if (this.state === 'down') return;
      this.state = 'down';
      this.d.told(
        `The fleet’s message broker at ${host} cannot be reached${this.problem === null ? '' : ` (${this.problem.message})`}. Machines on this network still reach each other directly; check the broker's address in the fleet settings.`,
      );
    };
    client.on('error', down);
    client.on('offline', () => down());
    client.on('message', (topic, payload, packet) => void this.receive(topic, payload, packet));
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.url = null;
    this.state = 'new';
    this.problem = null;
    this.topics.clear();
    for (const { settle } of this.waiting.values()) settle(fail('UNREACHABLE', 'The fleet’s message broker was turned off.'));
    if (client) await client.endAsync(true);
  }

  private async subscribe(): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return;
    const wanted = new Map<string, { peer: string; kind: Kind }>();
    for (const peer of this.d.peers()) {
      for (const kind of ['ask', 'answer'] as const) wanted.set(this.topic(peer, kind, false), { peer, kind });
    }
    const add = [...wanted.keys()].filter((topic) => !this.topics.has(topic));
    const drop = [...this.topics.keys()].filter((topic) => !wanted.has(topic));
    try {
      if (add.length > 0) await client.subscribeAsync(add, { qos: 0 });
      if (drop.length > 0) await client.unsubscribeAsync(drop);
      this.topics.clear();
      for (const [topic, entry] of wanted) this.topics.set(topic, entry);
    } catch (error) {
      this.d.logger.warn(`fleet broker: could not follow the paired machines' topics (${errorText(error)})`);
    }
  }

  /**
   * Whatever arrives on a topic is untrusted (anyone the broker lets publish there could have sent it): too large, not
   * JSON, without a correlation or not a frame, it is dropped unanswered, so the broker cannot be made
   * to echo junk. A question goes through the same inbound checks as on the direct path.
   */
  private async receive(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    try {
      const entry = this.topics.get(topic);
      const correlation = packet.properties?.correlationData;
      if (!entry || payload.length > MAX_BODY || !Buffer.isBuffer(correlation) || correlation.length !== CORRELATION_BYTES) return;
      const got = frameOf(payload, entry.peer, this.d.sealer.self.id);
      if (entry.kind === 'answer') return this.answered(entry.peer, correlation, got);
      if (got === undefined || !('box' in got)) return;
      const answer = await this.d.inbound.frame(got, 'broker');
      this.client?.publish(this.topic(entry.peer, 'answer', true), answer.ok ? wire(answer.value) : JSON.stringify(answer.error), {
        qos: 0,
        properties: { correlationData: correlation },
      });
    } catch (error) {
      this.d.logger.warn(`fleet broker: a message was dropped (${errorText(error)})`);
    }
  }

  /** An answer settles the question it names, if that question went to this peer and still waits. */
  private answered(peer: string, correlation: Buffer, got: Frame | FleetWireError | undefined): void {
    const question = this.waiting.get(correlation.toString('hex'));
    if (!question || question.peer !== peer || got === undefined) return;
    question.settle('box' in got ? ok(got) : { ok: false, error: got });
  }
}
