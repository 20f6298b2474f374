/**
 * The full browser bundle (`dist/gridlink.iife.js`): the browser API with every piece wired in, as
 * in Node — `cloud` + `doh`, `discovery`, every named policy, the page-lifecycle watch and the
 * logger work by option name, with no `use`, and a misspelt option's error guesses the key meant.
 * For a `<script>` tag that wants everything; a page built with a bundler imports `gridlink` (the
 * core) and only the pieces it uses.
 */
import { Client } from './client/client.js';
import { cloudDiscovery } from './client/cloud-piece.js';
import { createClient } from './client/create-client.js';
import type { ConnectOptions } from './client/options.js';
import { logging, pageLifecycle, type Piece } from './client/pieces.js';
import { extras } from './client/extras-piece.js';
import { affinityPolicy, latencyPolicy, roundRobinPolicy } from './client/policy-pieces.js';
import { browserCorePlatform } from './platform/browser/index.js';
import { installSuggestions } from './core/suggest.js';

export * from './browser.js';

// Everything, "did you mean …?" for a misspelt option included (validate.ts).
installSuggestions();

const ALL_PIECES: readonly Piece[] = [cloudDiscovery, latencyPolicy, affinityPolicy, roundRobinPolicy, pageLifecycle, logging, extras];

/** Joins a session on the cloud, every piece included. Await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  return createClient(browserCorePlatform, options, ALL_PIECES);
}
