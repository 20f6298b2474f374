/**
 * The answer builder: one decoded query + the cloud as it is now -> the response packet. Pure (no
 * I/O, no clock), so every record type, every error code and the ranking are unit-tested without a
 * socket. Size limits and truncation are the wire's business (`wire.ts`), not this file's.
 *
 * The zone, for `cloud.test`:
 *   cloud.test.                 SOA, NS (every known node), A/AAAA (live nodes, best first)
 *   _gridlink._tcp.cloud.test.  SRV per live node: priority, weight, port, target <id>.cloud.test.
 *   _tcp.cloud.test.            exists, no records (an empty non-terminal: NODATA, not NXDOMAIN)
 *   <id>.cloud.test.            A or AAAA of that node (live or not: a node's name is its identity)
 * Anything else in the zone is NXDOMAIN; names outside it are REFUSED (not a recursive server).
 */
import type { Answer, DecodedPacket, OptAnswer, Packet, PacketOpt, Question, RecordType } from 'dns-packet';
import { isIP } from 'node:net';
import { canonicalName, isEncodableName, isHostLabel, relativeName } from './names.js';
import { rank, type Ranking } from './ranking.js';
import type { CloudNode, CloudSnapshot } from './view.js';
import { SRV_SERVICE } from '../../protocol/frames.js';

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const FLAG_AA = 1 << 10;
const FLAG_RD = 1 << 8;
const OPCODE_QUERY = 0;
const ECS_CODE = 8;
const KNOWN_CLASSES = new Set<string>(['CS', 'CH', 'HS', 'ANY']);

export interface ZoneSettings {
  /** Canonical zone name (lower-case, no trailing dot). */
  readonly zone: string;
  readonly ttlSec: number;
  /** TTL of a negative answer (the SOA's MINIMUM and the TTL of the SOA that carries it). */
  readonly negativeTtlSec: number;
  readonly serial: number;
  /** The UDP payload size this server advertises in its OPT record. */
  readonly udpPayloadSize: number;
}

export interface QueryContext {
  readonly settings: ZoneSettings;
  readonly snapshot: CloudSnapshot;
  /** The query's source address (proximity ranking when no EDNS client subnet is given). */
  readonly source?: string | undefined;
  /** Rotation of equally good nodes (see ranking.ts). */
  readonly rotation: number;
}

type Addressed = CloudNode & { readonly address: string };

interface Ecs {
  readonly family: number;
  readonly sourcePrefixLength: number;
  readonly ip: string;
}

/** What the response's OPT record says beyond the defaults. */
interface Edns {
  ecs?: Ecs;
}

/** Builds the response, or undefined when the packet must not be answered (it is itself a response). */
export function buildResponse(query: DecodedPacket, context: QueryContext): Packet | undefined {
  if (query.type === 'response') return undefined; // answering responses is how reflection loops start
  const opts = (query.additionals ?? []).filter((record): record is OptAnswer => record.type === 'OPT');
  if (opts.length > 1) return reply(query, Rcode.FORMERR, false, context, undefined);
  const queryOpt = opts[0];
  // The response carries an OPT when the query did (RFC 6891); a valid client subnet is echoed in it.
  const opt: Edns | undefined = queryOpt === undefined ? undefined : {};
  const questions = query.questions ?? [];
  const question = questions.length === 1 ? questions[0] : undefined;
  // Any other opcode is not implemented; its question is echoed only if it encodes back (a label
  // holding a dot decodes as a name whose echo would be malformed; found by the fuzz test).
  if (((query.flags ?? 0) >> 11 & 0xf) !== OPCODE_QUERY) return reply(query, Rcode.NOTIMP, false, context, opt, echoable(question));
  if (question === undefined || !isEncodableName(question.name) || question.type === 'OPT') {
    return reply(query, Rcode.FORMERR, false, context, opt);
  }
  if (queryOpt !== undefined && queryOpt.ednsVersion > 0) return badVersion(query, context, question);
  const ecs = clientSubnet(queryOpt);
  if (ecs === 'invalid') return reply(query, Rcode.FORMERR, false, context, opt);
  if (opt !== undefined && ecs !== undefined) opt.ecs = ecs;
  // Only class IN is served. dns-packet names classes it does not know `UNKNOWN_<n>` and cannot
  // encode them back, so such a question is not echoed.
  if (question.class !== 'IN' && question.class !== undefined) {
    return reply(query, Rcode.REFUSED, false, context, opt, KNOWN_CLASSES.has(question.class) ? question : undefined);
  }
  const zone = context.settings.zone;
  const relative = relativeName(canonicalName(question.name), zone);
  if (relative === undefined) return reply(query, Rcode.REFUSED, false, context, opt, question);
  if (question.type === 'AXFR' || question.type === 'IXFR') return reply(query, Rcode.NOTIMP, false, context, opt, question);
  return answerInZone(query, question, relative, context, opt, ecs);
}

function answerInZone(query: DecodedPacket, question: Question, relative: string, context: QueryContext, opt: Edns | undefined, ecs: Ecs | undefined): Packet {
  const zone = new ZoneData(context, ecs);
  const { settings } = context;
  const owner = question.name;
  // dns-packet's types leave out the ANY meta-type (255), which it decodes as 'ANY'.
  const askedAny = (question.type as string) === 'ANY';
  const wants = (type: RecordType): boolean => askedAny || question.type === type;
  const response = reply(query, Rcode.NOERROR, true, context, opt, question);
  const answers = response.answers as Answer[];
  const additionals: Answer[] = [];
  let exists = true;
  if (relative === '') {
    if (wants('SOA')) answers.push(zone.soa(owner, settings.ttlSec));
    if (wants('NS')) {
      const servers = zone.nameServers();
      for (const node of servers) answers.push({ name: owner, type: 'NS', ttl: settings.ttlSec, class: 'IN', data: zone.hostName(node) });
      additionals.push(...servers.map((node) => zone.addressRecord(zone.hostName(node), node)));
    }
    if (wants('A') || wants('AAAA')) {
      // One record per address (an RRset holds no duplicates, RFC 2181 5): nodes sharing an
      // address (a local cloud on loopback) appear once, at the best of their ranks.
      const seen = new Set<string>();
      for (const ranked of zone.ranking().nodes) {
        const family = isIP(ranked.node.address) === 6 ? 'AAAA' : 'A';
        if (!wants(family) || seen.has(ranked.node.address)) continue;
        seen.add(ranked.node.address);
        answers.push(zone.addressRecord(owner, ranked.node));
      }
    }
  } else if (relative === SRV_SERVICE) {
    if (wants('SRV')) {
      for (const ranked of zone.ranking().nodes) {
        const target = zone.hostName(ranked.node);
        answers.push({ name: owner, type: 'SRV', ttl: settings.ttlSec, class: 'IN', data: { priority: ranked.priority, weight: ranked.weight, port: ranked.node.port, target } });
        additionals.push(zone.addressRecord(target, ranked.node));
      }
    }
  } else if (relative !== '_tcp') {
    const node = zone.byLabel(relative);
    if (node === undefined) exists = false;
    else if (wants(isIP(node.address) === 6 ? 'AAAA' : 'A')) answers.push(zone.addressRecord(owner, node));
  }
  if (!exists) setRcode(response, Rcode.NXDOMAIN);
  // NXDOMAIN and NODATA carry the SOA, whose TTL tells caches how long to remember the absence.
  if (answers.length === 0) (response.authorities as Answer[]).push(zone.soa(zone.apex, settings.negativeTtlSec));
  // Glue goes before the OPT record, which reply() put last.
  (response.additionals as Answer[]).unshift(...additionals);
  if (ecs !== undefined) scopeEcs(response, zone.usedProximity());
  return response;
}

/** The cloud as one query sees it: nodes by label, computed once; the ranking, computed if needed. */
class ZoneData {
  readonly apex: string;
  private readonly labels = new Map<string, Addressed>();
  private ranked: Ranking | undefined;

  constructor(
    private readonly context: QueryContext,
    private readonly ecs: Ecs | undefined,
  ) {
    this.apex = context.settings.zone;
    for (const node of context.snapshot.nodes) {
      const label = node.id.toLowerCase();
      // A label starting with '_' would shadow the service names; such ids are not published.
      if (typeof node.address !== 'string' || isIP(node.address) === 0 || !isHostLabel(label) || label.startsWith('_')) continue;
      if (!this.labels.has(label)) this.labels.set(label, node as Addressed);
    }
  }

  byLabel(label: string): Addressed | undefined {
    return this.labels.get(label);
  }

  hostName(node: CloudNode): string {
    return `${node.id.toLowerCase()}.${this.apex}`;
  }

  ranking(): Ranking {
    const clientAddress = this.ecs !== undefined ? (this.ecs.sourcePrefixLength > 0 ? this.ecs.ip : undefined) : this.context.source;
    const usable = this.context.snapshot.nodes.filter((node) => this.labels.get(node.id.toLowerCase()) === node);
    this.ranked ??= rank(usable, { clientAddress, rotation: this.context.rotation });
    return this.ranked;
  }

  usedProximity(): boolean {
    return this.ranked?.usedProximity === true;
  }

  /** Every published node, live or not, sorted: the NS set must not flap with health or load. */
  nameServers(): Addressed[] {
    return [...this.labels.keys()].sort().map((label) => this.labels.get(label) as Addressed);
  }

  addressRecord(owner: string, node: Addressed): Answer {
    const type = isIP(node.address) === 6 ? 'AAAA' : 'A';
    return { name: owner, type, ttl: this.context.settings.ttlSec, class: 'IN', data: node.address };
  }

  soa(owner: string, ttl: number): Answer {
    const { settings, snapshot } = this.context;
    const self = snapshot.self === undefined ? undefined : this.labels.get(snapshot.self.toLowerCase());
    const primary = self ?? this.nameServers()[0];
    return {
      name: owner,
      type: 'SOA',
      ttl,
      class: 'IN',
      data: {
        mname: primary === undefined ? this.apex : this.hostName(primary),
        rname: `hostmaster.${this.apex}`,
        serial: settings.serial,
        refresh: 3600,
        retry: 600,
        expire: 86_400,
        minimum: settings.negativeTtlSec,
      },
    };
  }
}

/** A response skeleton: header, question echoed (when given), OPT when the query had one. */
/** `question` when a response can carry it back as it came: its name encodes, its type and class are known. */
function echoable(question: Question | undefined): Question | undefined {
  if (question === undefined || !isEncodableName(question.name) || question.type === 'OPT') return undefined;
  return question.class === undefined || question.class === 'IN' || KNOWN_CLASSES.has(question.class) ? question : undefined;
}

function reply(query: DecodedPacket, rcode: number, authoritative: boolean, context: QueryContext, opt: Edns | undefined, question?: Question): Packet {
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  const flags = (authoritative ? FLAG_AA : 0) | (query.flag_rd ? FLAG_RD : 0) | (opcode << 11) | rcode;
  const additionals: Answer[] = opt === undefined ? [] : [responseOpt(context, 0, opt)];
  return { id: query.id ?? 0, type: 'response', flags, questions: question === undefined ? [] : [question], answers: [], authorities: [], additionals };
}

function responseOpt(context: QueryContext, extendedRcode: number, edns: Edns): OptAnswer {
  const options: PacketOpt[] = [];
  const ecs = edns.ecs;
  if (ecs !== undefined) options.push({ code: ECS_CODE, family: ecs.family, sourcePrefixLength: ecs.sourcePrefixLength, scopePrefixLength: 0, ip: ecs.ip });
  return { name: '.', type: 'OPT', udpPayloadSize: context.settings.udpPayloadSize, extendedRcode, ednsVersion: 0, flags: 0, flag_do: false, options };
}

/** RFC 6891: an EDNS version we do not speak gets BADVERS (extended rcode 16 = 1 << 4 in the OPT). */
function badVersion(query: DecodedPacket, context: QueryContext, question: Question): Packet {
  const response = reply(query, 0, false, context, undefined, question);
  (response.additionals as Answer[]).push(responseOpt(context, 1, {}));
  return response;
}

/** RFC 7871 client subnet, checked: a malformed one is FORMERR; prefix 0 means "do not use my address". */
function clientSubnet(opt: OptAnswer | undefined): Ecs | undefined | 'invalid' {
  const option = (opt?.options ?? []).find((candidate) => candidate.code === ECS_CODE);
  if (option === undefined || !('ip' in option)) return undefined;
  const { family, sourcePrefixLength: prefix, ip, data } = option;
  const max = family === 1 ? 32 : family === 2 ? 128 : -1;
  if (family === undefined || max < 0 || prefix === undefined || prefix > max || ip === undefined || data === undefined) return 'invalid';
  if (data.length - 4 !== Math.ceil(prefix / 8)) return 'invalid';
  return { family, sourcePrefixLength: prefix, ip };
}

/** The ECS scope says for which subnet the answer holds: the asker's, only if its address mattered. */
function scopeEcs(response: Packet, usedProximity: boolean): void {
  for (const record of response.additionals ?? []) {
    if (record.type !== 'OPT') continue;
    for (const option of record.options) {
      if (option.code === ECS_CODE && 'ip' in option) option.scopePrefixLength = usedProximity ? option.sourcePrefixLength : 0;
    }
  }
}

export function setRcode(packet: Packet, rcode: number): void {
  packet.flags = ((packet.flags ?? 0) & ~0xf) | rcode;
}
