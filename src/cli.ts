#!/usr/bin/env node
/** The `gridlink` executable: runs a command and exits with its code. */
import { main } from './cli/main.js';

// Exit explicitly: a command is over when it says so, whatever handles (stdin, timers) remain.
// stdout and stderr are synchronous for files and pipes on POSIX, so nothing written is lost.
// (No top-level await: the same entry is also built as CommonJS.)
void main(process.argv.slice(2)).then((code) => process.exit(code));
