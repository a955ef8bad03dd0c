#!/usr/bin/env node
// FORCE_COLOR wins over NO_COLOR, for promptbatch as for Node; left both, Node prints a warning
// as soon as a module (commander, at import) asks it about colours.
if (process.env.FORCE_COLOR && process.env.NO_COLOR) delete process.env.NO_COLOR;
const { main } = await import('../dist/cli/main.js');
main();
