import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/core/errors.ts';
import { ROOT, runCli } from '../helpers/cli.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test("the README's usage section is exactly what --help prints", async () => {
	const match = /`promptbatch --help` prints exactly this[^`]*```text\n([\s\S]*?)```/.exec(readme);
	assert.ok(match, 'README has the usage block');
	const help = await runCli(['--help']);
	assert.equal(help.code, 0);
	assert.equal(match[1], help.stdout, 'regenerate the README block from `promptbatch --help`');
});

test("the README's exit-code table lists every exit code the CLI uses", () => {
	const table = readme.slice(readme.indexOf('## Exit codes'));
	for (const code of Object.values(ExitCode)) {
		if (code === ExitCode.terminated) assert.match(table, /143 for SIGTERM/);
		else assert.match(table, new RegExp(`^\\| ${code}\\s*\\|`, 'm'), `exit code ${code}`);
	}
});

test('the README documents every field of an output record', async () => {
	const result = await runCli(['--mock', '-q', '-f', 'jsonl'], {
		input: 'x\n',
		env: { OPENAI_API_KEY: undefined },
	});
	const record = JSON.parse(result.stdout) as Record<string, unknown>;
	const section = readme.slice(readme.indexOf('## Output'), readme.indexOf('## Exit codes'));
	for (const field of Object.keys(record))
		assert.match(section, new RegExp(`^\\| \`${field}\`\\s*\\|`, 'm'), field);
});
