import type { NetworkCapabilities } from '../../common/protocol.js';

/** An exchange of this device with its coordinator: what went each way and how long the whole took. */
export interface Exchange {
  sentBytes: number;
  receivedBytes: number;
  ms: number;
  /** A lease long-poll: its time is mostly waiting for work, so it says nothing about the link. */
  waited?: boolean;
}

/** Smaller than this both ways, an exchange is all round trip: a latency sample. */
const SMALL = 16 * 1024;
/** At least this much one way, a transfer is long enough to say something about bandwidth. */
const LARGE = 256 * 1024;
const KEEP = 32;

const median = (xs: readonly number[]): number | null => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null;

/**
 * The seed's NetworkCapabilities, measured from the device's real traffic with its coordinator (model downloads,
 * task and result bodies, small requests), not from a speed test of its own: median latency of small exchanges and
 * median Mbps of large transfers after their latency. Zero means not measured yet; the NAT type stays "unknown" (it
 * would take a STUN server).
 */
export class LinkMeter {
  private readonly latency: number[] = [];
  private readonly down: number[] = [];
  private readonly up: number[] = [];

  record(e: Exchange): void {
    if (!e.waited && e.sentBytes < SMALL && e.receivedBytes < SMALL) keep(this.latency, e.ms);
    const ms = Math.max(1, e.ms - (median(this.latency) ?? 0));
    if (!e.waited && e.receivedBytes >= LARGE) keep(this.down, (e.receivedBytes * 8) / ms / 1000);
    if (e.sentBytes >= LARGE) keep(this.up, (e.sentBytes * 8) / ms / 1000);
  }

  capabilities(): NetworkCapabilities {
    return {
      downloadMbps: round(median(this.down)),
      uploadMbps: round(median(this.up)),
      edgeLatencyMs: Math.min(600_000, Math.round(median(this.latency) ?? 0)),
      natType: 'unknown',
    };
  }
}

function keep(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > KEEP) samples.shift();
}

const round = (value: number | null): number => (value === null ? 0 : Math.round(value * 10) / 10);
