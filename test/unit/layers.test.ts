import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importViolations, readModules, relativeImports, SRC, unitOf } from '../helpers/layers.ts';

test('src/ imports one way: downwards, never sideways between parts or engines', () => {
	const modules = readModules(SRC);
	assert.ok(modules.size > 30, `read ${modules.size} modules from ${SRC}`);
	assert.deepEqual(importViolations(modules), []);
});

test('relativeImports finds static, type-only, multi-line, re-exported and dynamic imports', () => {
	const text = [
		"import { a } from '../core/a.ts';",
		"import type { B } from './b.ts';",
		'import {',
		'\tc,',
		"} from '../state/c.ts';",
		"export { d } from '../output/d.ts';",
		"const e = await import('../http/e.ts');",
		"import 'node:fs';",
		"import { f } from 'p-queue';",
	].join('\n');
	assert.deepEqual(relativeImports(text), [
		{ specifier: '../core/a.ts', line: 1 },
		{ specifier: './b.ts', line: 2 },
		{ specifier: '../state/c.ts', line: 5 },
		{ specifier: '../output/d.ts', line: 6 },
		{ specifier: '../http/e.ts', line: 7 },
	]);
});

test('importViolations: each way an import can break the rule, by file and line', () => {
	const table: [string, string, string | undefined][] = [
		['state/ledger.ts', "import { x } from '../core/types.ts';", undefined],
		['state/ledger.ts', "import { x } from './cache.ts';", undefined],
		['engines/realtime/dispatch.ts', "import { x } from '../../state/ledger.ts';", undefined],
		['run/run.ts', "import { x } from '../engines/realtime/dispatch.ts';", undefined],
		['cli/main.ts', "import { x } from '../run/run.ts';", undefined],
		['index.ts', "import { run } from './run/run.ts';", undefined],
		[
			'output/record.ts',
			"\nimport { x } from '../engines/realtime/stats.ts';",
			'src/output/record.ts:2: imports upwards, output → engines/realtime (../engines/realtime/stats.ts)',
		],
		[
			'state/ledger.ts',
			"import { x } from '../output/record.ts';",
			'src/state/ledger.ts:1: imports sideways, state → output (../output/record.ts)',
		],
		[
			'engines/batch/poll.ts',
			"import { x } from '../realtime/limiter.ts';",
			'src/engines/batch/poll.ts:1: imports sideways, engines/batch → engines/realtime (../realtime/limiter.ts)',
		],
		[
			'core/types.ts',
			"const m = await import('../run/run.ts');",
			'src/core/types.ts:1: imports upwards, core → run (../run/run.ts)',
		],
		[
			'cli/main.ts',
			"import { run } from '../index.ts';",
			'src/cli/main.ts:1: imports sideways, cli → index.ts (../index.ts)',
		],
		[
			'input/split.ts',
			"import { x } from '../../test/helpers/cli.ts';",
			'src/input/split.ts:1: imports ../../test/helpers/cli.ts, outside src/',
		],
		[
			'plugins/x.ts',
			'',
			'src/plugins/x.ts:1: plugins is in no layer; add it to LAYERS in test/helpers/layers.ts',
		],
	];
	for (const [path, text, expected] of table) {
		assert.deepEqual(
			importViolations(new Map([[path, text]])),
			expected === undefined ? [] : [expected],
			`${path}: ${text}`,
		);
	}
	assert.equal(unitOf('engines/realtime/limiter.ts'), 'engines/realtime');
});
