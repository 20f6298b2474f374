/**
 * Unit tests import modules, not an entry: install the "did you mean …?" hints as every Node entry
 * does (src/node.ts, src/server.ts, src/cli.ts). validate.test.ts checks the core without them.
 */
import { suggestKey } from '../../src/core/suggest.js';
import { installKeyHints } from '../../src/core/validate.js';

installKeyHints(suggestKey);
