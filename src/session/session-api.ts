/**
 * What a session says and needs, apart from the session itself: the migration report, the helper
 * it reports through, its settings, and which migration a dead link's error starts.
 */
import type { GridlinkError } from '../core/errors.js';
import type { MigrationCode, Reason, StateChange } from '../core/state.js';
import type { JsonValue, NodeInfo } from '../protocol/frames.js';
import type { MemberEventName, MemberInfo } from './members.js';
import type { MessageMeta } from './receiver.js';
import type { SharedChange } from './shared.js';
import type { Extras, ExtrasHost } from './extras.js';

export type SessionState = 'connecting' | 'connected' | 'migrating' | 'closed' | 'failed';

export interface MigrationInfo {
  readonly from: NodeInfo;
  readonly to: NodeInfo;
  readonly reason: Reason<MigrationCode>;
  /**
   * How long the session could not exchange messages: from the last frame the old link received
   * (its last sign of life, so the time it took to notice a failure counts) to the join on the new
   * node, when the replay goes out. A planned move keeps the old link delivering until then, so it
   * is near 0. On an idle link the last sign of life may be a heartbeat, up to
   * `heartbeat.intervalMs` before the failure itself.
   */
  readonly downtimeMs: number;
  /** From deciding to leave the old node (noticing a failure, or a drain notice) to joining the new one. */
  readonly migratingMs: number;
}

/** How the session reports upward; the client turns these into events. */
export interface SessionHelper {
  onState(change: StateChange<SessionState>): void;
  onMessage(data: string | Uint8Array, meta: MessageMeta): void;
  onMigrated(info: MigrationInfo): void;
  onMember(kind: MemberEventName, member: MemberInfo): void;
  onShared(change: SharedChange): void;
  onError(error: GridlinkError): void;
}

export interface SessionSettings {
  readonly session: string;
  readonly clientId: string;
  readonly maxBufferedBytes: number;
  readonly maxHeldMessages: number;
  readonly ackDelayMs: number;
  /** This member's meta at connect() (checked JSON). */
  readonly meta: JsonValue;
  /** The `extras` piece's: `to`, requests and the shared map. */
  readonly extras?: ((host: ExtrasHost) => Extras) | undefined;
}

/** The migration a dead link's error starts. */
export function migrationCode(error: GridlinkError): MigrationCode {
  switch (error.code) {
    case 'GRIDLINK_HEARTBEAT_TIMEOUT':
      return 'heartbeat-timeout';
    case 'GRIDLINK_PROTOCOL':
    case 'GRIDLINK_FRAME_TOO_LARGE':
      return 'protocol-error';
    default:
      return 'link-lost';
  }
}
