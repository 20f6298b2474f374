/**
 * The cloud's options — `cloud`, `dns`, `doh`, `discovery` of `connect()`, and the stand-alone
 * cloud resolver's — checked here, apart from the core options, so that a page without the
 * `cloudDiscovery` piece carries neither these checks nor their messages.
 */
import { dnsName, duration, fail, failOptions, httpUrls, integer, list, oneOf, optionKeys, optionsObject, shown } from '../core/validate.js';
import type { CloudFields } from './pieces.js';

export const SCHEMES = ['ws', 'wss'] as const;

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i;

/** 'ip', 'ip:port', '[ipv6]' or '[ipv6]:port': what node:dns's setServers takes (no names). */
function dnsServers(value: unknown): string[] {
  if (value === undefined) return [];
  return list('dns', value, `'ip' or 'ip:port' strings`).map((entry: unknown, i) => {
    const text = typeof entry === 'string' ? entry : '';
    const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(text) ?? [text, text, undefined];
    const [, host = '', port] = match;
    const ipOk = IPV4.test(host) || (IPV6.test(host) && (text.startsWith('[') || !text.includes(']')));
    if (!ipOk || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
      fail(`dns[${i}]`, `must be an IP address with an optional port ('127.0.0.1:5353', '[::1]:53'), got ${shown(entry)}`);
    }
    return text;
  });
}

/**
 * `connect()`'s cloud options, in the order they were always checked: `cloud` and `discovery`,
 * then `enough` (is there any source of nodes at all?), then `dns` and `doh`.
 */
export function cloudOptionFields(o: Record<string, unknown>, enough: (cloud: string | undefined, discovery: readonly string[]) => void): CloudFields {
  const cloud = o.cloud === undefined ? undefined : dnsName('cloud', o.cloud);
  const discovery = httpUrls('discovery', o.discovery);
  enough(cloud, discovery);
  const dns = dnsServers(o.dns);
  if (dns.length > 0 && cloud === undefined) fail('dns', 'needs cloud: the DNS servers are asked for the cloud name');
  const doh = httpUrls('doh', o.doh);
  if (doh.length > 0 && cloud === undefined) fail('doh', 'needs cloud: the DNS-over-HTTPS servers are asked for the cloud name');
  if (doh.length > 0 && dns.length > 0) failOptions('give dns or doh, not both: they are two ways to ask the same DNS');
  return { cloud, dns, doh, discovery };
}

/** Options of a stand-alone cloud resolver (`createCloudResolver`), shared with `connect()`'s. */
export interface CloudResolverOptions {
  cloud: string;
  dns?: readonly string[];
  /** DNS-over-HTTPS endpoints; required where the platform has no DNS (browsers). */
  doh?: string | readonly string[];
  /** One DoH request may take this long. Default 2000. */
  timeoutMs?: number;
  scheme?: 'ws' | 'wss';
  port?: number;
  maxNodes?: number;
}

export interface NormalizedCloudOptions {
  readonly cloud: string;
  readonly dns: readonly string[];
  readonly doh: readonly string[];
  readonly timeoutMs: number;
  readonly scheme: 'ws' | 'wss';
  readonly port: number;
  readonly maxNodes: number;
}

export function normalizeCloudOptions(input: CloudResolverOptions): NormalizedCloudOptions {
  const o = optionsObject(input, optionKeys<CloudResolverOptions>({ cloud: true, dns: true, doh: true, timeoutMs: true, scheme: true, port: true, maxNodes: true }));
  const scheme = oneOf('scheme', o.scheme, 'wss', SCHEMES);
  const dns = dnsServers(o.dns);
  const doh = httpUrls('doh', o.doh);
  if (dns.length > 0 && doh.length > 0) failOptions('give dns or doh, not both: they are two ways to ask the same DNS');
  return Object.freeze({
    cloud: dnsName('cloud', o.cloud),
    dns: Object.freeze(dns),
    doh: Object.freeze(doh),
    timeoutMs: duration('timeoutMs', o.timeoutMs, 2000, 10),
    scheme,
    port: integer('port', o.port, scheme === 'wss' ? 443 : 80, 1, 65535),
    maxNodes: integer('maxNodes', o.maxNodes, 64, 1, 4096),
  });
}

