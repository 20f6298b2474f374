/**
 * Unit tests import modules, not an entry: install the "did you mean …?" hints as every Node entry
 * does (src/node.ts, src/server.ts, src/cli/main.ts). validate.test.ts checks the core without them.
 */
import { installSuggestions } from '../../src/core/suggest.js';

installSuggestions();
