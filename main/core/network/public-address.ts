/**
 * Which addresses a remote coordinator's download may reach: only the public internet. A model or input URL naming
 * this computer or its own network (a router page, a NAS, a cloud metadata service) would let a coordinator probe the
 * user's LAN through the agent, so such addresses are refused before any connection is made.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { CodedError } from '../../common/coded-error.js';

const NOT_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", incl. the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // the former site-local
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, bits, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IP address is outside the ranges above (an IPv4-mapped IPv6 address is judged by its IPv4 part). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL's host is this computer: `localhost` or a loopback address (the devnet, a coordinator run by the user). */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  return bare === 'localhost' || (family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6'));
}

/**
 * What a coordinator hears when its download pointed at this computer or its network: the same words whatever the
 * address was, and nothing the address answered (nothing was asked of it), so a coordinator cannot map the user's LAN.
 */
export const REFUSED_SOURCE = 'the download address is not on the public internet: refused without connecting';

/** Why a download was not even started: its host is, or resolves only to, addresses that are not public. */
export class NotPublicError extends CodedError<'NOT_PUBLIC'> {
  override name = 'NotPublicError';
  constructor(
    readonly host: string,
    readonly addresses: readonly string[],
  ) {
    super(
      'NOT_PUBLIC',
      addresses.length
        ? `${host} is on this computer or its own network (${addresses.join(', ')}), not on the public internet`
        : `${host} has no address on the public internet`,
    );
  }
}

/**
 * A `lookup` for http.request that resolves the name itself and hands the socket only public addresses: the
 * connection goes to the very address that was checked, so a name that answers differently the second time (DNS
 * rebinding) gains nothing. A name with no public address fails with NotPublicError.
 */
export const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { family: options.family ?? 0, hints: options.hints ?? 0, all: true }, (error, found: LookupAddress[]) => {
    if (error) return callback(new NotPublicError(hostname, []), []);
    const usable = found.filter((a) => isPublicAddress(a.address));
    const first = usable[0];
    if (!first)
      return callback(
        new NotPublicError(
          hostname,
          found.map((a) => a.address),
        ),
        [],
      );
    if (options.all) callback(null, usable);
    else callback(null, first.address, first.family);
  });
};
