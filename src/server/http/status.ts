/**
 * `GET /status?node=<id>`: a client whose host went quiet asks whether the cloud counts it gone
 * (docs/protocol.md, "Asking the cloud"). The answer is `{"node":"<id>","status":"alive"|"dead"|"unknown"}`
 * and may wait, up to one peer timeout and one interval, for news of the node (see
 * peers/verdicts.ts); an asker that hangs up stops its wait.
 *
 * Open to anyone, as `/healthz` and the discovery document are: it says no more than the discovery
 * document's `healthy` flag already does (about nodes of this cloud only; any other id is
 * `unknown`), and costs a set entry while it waits, with the number of waits bounded per node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isProtocolId } from '../../protocol/codec.js';

export const STATUS_PATH = '/status';

export type StatusVerdict = 'alive' | 'dead' | 'unknown';

/** What the route needs of the node: its peer monitor's answer (undefined: the node has no peers to judge). */
export type PeerStatus = (id: string, signal: AbortSignal) => Promise<StatusVerdict>;

const HEADERS = { 'access-control-allow-origin': '*', 'content-type': 'application/json', 'cache-control': 'no-store' };

export function serveStatus(req: IncomingMessage, res: ServerResponse, url: URL, status: PeerStatus | undefined): void {
  const id = url.searchParams.get('node');
  if (!isProtocolId(id)) {
    res.writeHead(400, HEADERS).end(JSON.stringify({ error: "query parameter 'node' must be a node id" }));
    return;
  }
  if (status === undefined) {
    res.writeHead(200, HEADERS).end(JSON.stringify({ node: id, status: 'unknown' }));
    return;
  }
  const hangUp = new AbortController();
  const onClose = (): void => hangUp.abort();
  res.once('close', onClose);
  status(id, hangUp.signal).then(
    (verdict) => {
      res.off('close', onClose);
      if (!res.destroyed) res.writeHead(200, HEADERS).end(JSON.stringify({ node: id, status: verdict }));
    },
    () => {
      res.off('close', onClose);
      if (!res.destroyed) res.writeHead(200, HEADERS).end(JSON.stringify({ node: id, status: 'unknown' }));
    },
  );
}
