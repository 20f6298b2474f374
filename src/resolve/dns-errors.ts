/**
 * DNS failures are classified once, here, into gridlink codes (the raw error kept as `cause`):
 * "the name has no such records" (`GRIDLINK_NO_NODES`: try the next record type, or there is no
 * cloud by that name), "the server did not answer in time" (`GRIDLINK_TIMEOUT`) and "the server
 * could not be asked or refused" (`GRIDLINK_CONNECT_FAILED`). All are retriable: DNS comes back.
 */
import { ConnectError, isGridlinkError, type GridlinkError } from '../core/errors.js';

const NO_DATA = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA', 'ENONAME']);
const TIMEOUT = new Set(['ETIMEOUT', 'ETIMEDOUT']);

function rawCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'unknown';
}

export function classifyDnsError(error: unknown, query: string): GridlinkError {
  if (isGridlinkError(error)) return error;
  const code = rawCode(error);
  if (NO_DATA.has(code)) return new ConnectError('GRIDLINK_NO_NODES', `DNS has no records for ${query} (${code})`, { cause: error, retriable: true });
  if (TIMEOUT.has(code)) return new ConnectError('GRIDLINK_TIMEOUT', `no DNS server answered for ${query} (${code})`, { cause: error, retriable: true });
  return new ConnectError('GRIDLINK_CONNECT_FAILED', `DNS query for ${query} failed (${code})`, { cause: error, retriable: true });
}

/** True for "no such records": the one failure after which another record type is worth asking. */
export function isNoData(error: GridlinkError): boolean {
  return error.code === 'GRIDLINK_NO_NODES';
}
