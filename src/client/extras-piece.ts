/**
 * The `extras` piece: messages `to` one member, `request()`/`onRequest()`, and the shared map
 * (`shared`, `setShared()`, the `shared` event). Node has it built in; a page passes it in `use`.
 */
import { extendNodeDecoding, isProtocolId } from '../protocol/codec.js';
import { nodeExtrasDecoder } from '../protocol/codec-ext.js';
import { Extras } from '../session/extras.js';
import type { Piece } from './pieces.js';

export const extras: Piece = {
  piece: 'extras',
  build: (host) => {
    extendNodeDecoding(nodeExtrasDecoder(isProtocolId));
    return new Extras(host);
  },
};
