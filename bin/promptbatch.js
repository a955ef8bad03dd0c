#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Node keeps the compiled code of our modules and commander's between runs (in its own cache
// directory, as npm does): start-up, --help included, then costs little more than Node's own.
enableCompileCache?.();
// FORCE_COLOR wins over NO_COLOR, for promptbatch as for Node; left both, Node prints a warning
// as soon as a module (commander, at import) asks it about colours.
if (process.env.FORCE_COLOR && process.env.NO_COLOR) delete process.env.NO_COLOR;
const { main } = await import('../dist/cli/main.js');
main();
