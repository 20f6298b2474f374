/**
 * Node <-> node frames on peer links. They share the WebSocket subprotocol with clients; the first
 * frame tells a node which kind of connection it has (`peer-hello` vs `hello`). Decoded as strictly
 * as client frames: a peer link is still input from the network.
 */
import { isIP } from 'node:net';
import { LinkError } from '../../core/errors.js';
import { MAX_ID_LENGTH } from '../../protocol/codec.js';
import { parseCidr } from '../dns/subnets.js';

export type PeerFrame =
  /** The dialler's first frame; `nonce` is its half of the authentication (peer-auth.ts). */
  | { t: 'peer-hello'; id: string; v: number; nonce?: string }
  /** The acceptor's first frame: who it is, its nonce, and its proof (`mac`, when it has a secret). */
  | { t: 'peer-welcome'; id: string; nonce: string; mac?: string }
  /** The dialler's proof, answering `peer-welcome`. */
  | { t: 'peer-auth'; mac?: string }
  | { t: 'ping'; id?: number }
  | { t: 'pong'; id: number }
  /** The sender is draining: leave it out of placement at once. */
  | { t: 'peer-drain' }
  /** The sender's load (and how DNS should publish it), sent when a link opens and whenever it changes. */
  | LoadFrame
  /** The sender claims a session (see pins.ts); sent by the accepting side of a link, and again on each new link. */
  | PinFrame
  /** The sender no longer claims the session. */
  | UnpinFrame;

export interface PinFrame {
  t: 'pin';
  session: string;
  /** Orders claims on one session: higher wins. */
  epoch: number;
  /** Nodes some member of the session could not reach (none of them should claim it). */
  avoid?: string[];
}

/** At most this many nodes in a pin's `avoid` (the most recent are kept); it must fit a peer frame. */
export const MAX_AVOID = 16;

export interface UnpinFrame {
  t: 'unpin';
  session: string;
}

export interface LoadFrame {
  t: 'load';
  links: number;
  sessions: number;
  /** The sender's address for DNS (when its URL's host is a name, not an IP). */
  address?: string;
  region?: string;
  subnets?: string[];
}

/** Limits of a load frame's descriptive fields (they must fit a peer frame with room to spare). */
export const MAX_REGION_LENGTH = 64;
export const MAX_SUBNETS = 32;

/** Peer frames are tiny; anything big on a peer link is an error. */
export const MAX_PEER_FRAME_BYTES = 4096;

function protocolError(message: string): never {
  throw new LinkError('GRIDLINK_PROTOCOL', message);
}

function pingId(value: unknown, required: boolean): number | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) protocolError("peer frame 'id' must be an integer >= 0");
  return value;
}

export function encodePeerFrame(frame: PeerFrame): string {
  return JSON.stringify(frame);
}

/** Decodes a peer frame; throws `LinkError('GRIDLINK_PROTOCOL')` on anything else. */
export function decodePeerFrame(raw: string | Uint8Array): PeerFrame {
  if (typeof raw !== 'string') protocolError('binary WebSocket messages are not part of the protocol');
  if (raw.length > MAX_PEER_FRAME_BYTES) throw new LinkError('GRIDLINK_FRAME_TOO_LARGE', 'peer frame too large');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    throw new LinkError('GRIDLINK_PROTOCOL', 'frame is not valid JSON', { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) protocolError('frame must be a JSON object');
  const obj = value as Record<string, unknown>;
  switch (obj.t) {
    case 'peer-hello': {
      const { id, v } = obj;
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) protocolError("'peer-hello' needs a node 'id'");
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) protocolError("'peer-hello' needs a version 'v'");
      const nonce = token(obj.nonce, 'peer-hello', 'nonce');
      return nonce === undefined ? { t: 'peer-hello', id, v } : { t: 'peer-hello', id, v, nonce };
    }
    case 'peer-welcome': {
      const { id } = obj;
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) protocolError("'peer-welcome' needs a node 'id'");
      const nonce = token(obj.nonce, 'peer-welcome', 'nonce');
      if (nonce === undefined) protocolError("'peer-welcome' needs a 'nonce'");
      const mac = token(obj.mac, 'peer-welcome', 'mac');
      return mac === undefined ? { t: 'peer-welcome', id, nonce } : { t: 'peer-welcome', id, nonce, mac };
    }
    case 'peer-auth': {
      const mac = token(obj.mac, 'peer-auth', 'mac');
      return mac === undefined ? { t: 'peer-auth' } : { t: 'peer-auth', mac };
    }
    case 'ping': {
      const id = pingId(obj.id, false);
      return id === undefined ? { t: 'ping' } : { t: 'ping', id };
    }
    case 'pong':
      return { t: 'pong', id: pingId(obj.id, true) as number };
    case 'peer-drain':
      return { t: 'peer-drain' };
    case 'load':
      return loadFrame(obj);
    case 'pin': {
      const epoch = obj.epoch;
      if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) protocolError("'pin' needs an 'epoch', an integer >= 1");
      const frame: PinFrame = { t: 'pin', session: sessionId(obj.session, 'pin'), epoch };
      if (obj.avoid !== undefined) frame.avoid = nodeIds(obj.avoid);
      return frame;
    }
    case 'unpin':
      return { t: 'unpin', session: sessionId(obj.session, 'unpin') };
    default:
      return protocolError(`unknown peer frame type '${String(obj.t).slice(0, 32)}'`);
  }
}

/** An optional base64url field of the authentication (a nonce or a MAC): 16..64 characters. */
function token(value: unknown, type: string, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(value)) protocolError(`'${type}' field '${field}' must be 16..64 base64url characters`);
  return value;
}

/** Cheap check used on a connection's first frame: does it claim to be a peer? */
export function looksLikePeerHello(raw: string | Uint8Array): boolean {
  return typeof raw === 'string' && raw.length <= MAX_PEER_FRAME_BYTES && raw.includes('"peer-hello"');
}

function sessionId(value: unknown, type: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) protocolError(`'${type}' needs a 'session' id`);
  return value;
}

function nodeIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_AVOID) protocolError(`'pin' field 'avoid' must list at most ${MAX_AVOID} node ids`);
  return value.map((id: unknown) => {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) protocolError("'pin' field 'avoid' must hold node ids");
    return id;
  });
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) protocolError(`'load' needs '${name}', an integer >= 0`);
  return value;
}

function loadFrame(obj: Record<string, unknown>): LoadFrame {
  const frame: LoadFrame = { t: 'load', links: count(obj.links, 'links'), sessions: count(obj.sessions, 'sessions') };
  const { address, region, subnets } = obj;
  if (address !== undefined) {
    if (typeof address !== 'string' || address.length > 64 || isIP(address) === 0) protocolError("'load' field 'address' must be an IP address");
    frame.address = address;
  }
  if (region !== undefined) {
    if (typeof region !== 'string' || region.length === 0 || region.length > MAX_REGION_LENGTH) protocolError(`'load' field 'region' must be 1..${MAX_REGION_LENGTH} characters`);
    frame.region = region;
  }
  if (subnets !== undefined) {
    if (!Array.isArray(subnets) || subnets.length > MAX_SUBNETS) protocolError(`'load' field 'subnets' must be a list of at most ${MAX_SUBNETS} CIDR blocks`);
    frame.subnets = subnets.map((entry: unknown) => {
      if (typeof entry !== 'string' || parseCidr(entry) === undefined) protocolError("'load' field 'subnets' must hold CIDR blocks");
      return entry;
    });
  }
  return frame;
}
