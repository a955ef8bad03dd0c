import assert from 'node:assert/strict';
import { test } from 'node:test';
import { footprintFlags } from '../../src/cli/footprint.ts';

test('V8 flags: Maglev is left alone with one core, where TurboFan would take its place in the run', () => {
	const cases: [cores: number, maglevOff: boolean][] = [
		[1, false],
		[2, true],
		[64, true],
	];
	for (const [cores, maglevOff] of cases) {
		const flags = footprintFlags(cores);
		assert.equal(flags.includes('--maglev-filter=-*'), maglevOff, `${cores} cores`);
		assert.ok(flags.some((flag) => flag.startsWith('--heap-growing-percent=')));
		assert.ok(flags.some((flag) => flag.startsWith('--wasm-tier-up-filter=')));
	}
});
