import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../src/core/errors.ts';
import { BIN, homeEnv, ROOT, runCli, SECRET_KEY, tempDir, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

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

test("the README's clone step names the package's repository", () => {
	const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
	const url = (pkg.repository.url as string).replace(/^git\+/, '');
	assert.match(readme, new RegExp(`^git clone ${url.replace(/[.]/g, '\\.')} `, 'm'));
});

/** A directory with the files the examples name, and `promptbatch` on PATH. */
function exampleDir(): { dir: string; env: Record<string, string> } {
	const dir = withFiles({
		'prompts.txt': 'Name a prime\nName a colour\n',
		'questions.txt': 'Sky colour?\nGrass colour?\n',
		'docs.txt': 'first document\nsecond document\n',
		'prompts.jsonl': '"What is 2+2?"\n{"id": "q2", "prompt": "Name a colour"}\n',
		// Template fields only, as the examples that read rows.jsonl mean: one that forgets -t fails.
		'rows.jsonl':
			'{"id": 1, "text": "I love it", "lang": "English"}\n{"id": 2, "text": "meh", "lang": "English"}\n',
	});
	cpSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
	mkdirSync(join(dir, 'notes'));
	writeFileSync(join(dir, 'notes', 'a.md'), '# A\nfirst note\n');
	writeFileSync(join(dir, 'notes', 'b.md'), '# B\nsecond note\n');
	mkdirSync(join(dir, 'bin'));
	const shim = join(dir, 'bin', 'promptbatch');
	writeFileSync(
		shim,
		`#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
	);
	chmodSync(shim, 0o755);
	// The library example imports 'promptbatch' as an installed package would be.
	mkdirSync(join(dir, 'node_modules'));
	symlinkSync(ROOT, join(dir, 'node_modules', 'promptbatch'));
	return {
		dir,
		env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, ...homeEnv() },
	};
}

/** Runs a command without blocking: the mock server answers from this same process. */
function runAsync(
	command: string,
	args: readonly string[],
	cwd: string,
	env: Record<string, string>,
): Promise<{ status: number | null; stderr: string }> {
	return new Promise((resolve, reject) => {
		execFile(command, args, { cwd, env, timeout: 120_000 }, (error, _stdout, stderr) => {
			if (error && typeof error.code !== 'number') return reject(error);
			resolve({ status: typeof error?.code === 'number' ? error.code : 0, stderr });
		});
	});
}

/** The README's shell examples, less installing, building and testing (CI does those). */
function shellExamples(): string[] {
	const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
	return blocks
		.map((block) =>
			block
				.split('\n')
				.filter((line) => !/^(npm |bash \.ci\/run|git clone )/.test(line))
				.join('\n'),
		)
		.filter((block) => /\bpromptbatch\b/.test(block));
}

const hasJq = spawnSync('jq', ['--version']).status === 0;

test('every shell example in the README and in --help runs, under bash -e, against the mock', {
	timeout: 300_000,
}, async (t) => {
	const server = await mockServer({ batchStageMs: 50 });
	const help = (await runCli(['--help'])).stdout;
	const helpExamples = help.slice(help.indexOf('Examples:\n') + 'Examples:\n'.length);
	const examples = [helpExamples.replace(/^ {2}/gm, ''), ...shellExamples()];
	assert.ok(examples.length >= 8, `${examples.length} examples`);
	for (const example of examples) {
		if (/\bjq\b/.test(example) && !hasJq) {
			t.diagnostic(`skipped, jq is not installed: ${example.split('\n')[0]}`);
			continue;
		}
		const { dir, env } = exampleDir();
		// The local-server example names a port we can't count on: the mock stands in for it.
		const script = example.replaceAll('http://localhost:8000/v1', server.url);
		const expected = Number(/# exits (\d+)/.exec(example)?.[1] ?? 0);
		const result = await runAsync('bash', ['-e', '-c', script], dir, {
			...env,
			OPENAI_BASE_URL: server.url,
			OPENAI_API_KEY: SECRET_KEY,
		});
		assert.equal(result.status, expected, `${example}\n--- stderr:\n${result.stderr}`);
	}
});

test("the README's library example runs", async () => {
	const server = await mockServer();
	const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
	assert.ok(code, 'README has a js example');
	const { dir, env } = exampleDir();
	writeFileSync(join(dir, 'example.mjs'), code);
	const result = await runAsync(process.execPath, ['example.mjs'], dir, {
		...env,
		OPENAI_BASE_URL: server.url,
		OPENAI_API_KEY: SECRET_KEY,
	});
	assert.equal(result.status, 0, result.stderr);
	assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').length, 3);
});

test('the README documents every field of --summary-json', async () => {
	const dir = tempDir();
	const result = await runCli(['--mock', '-q', '--summary-json', 'summary.json'], {
		input: 'x\n',
		cwd: dir,
		env: { OPENAI_API_KEY: undefined },
	});
	assert.equal(result.code, 0, result.stderr);
	const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
	const section = readme.slice(
		readme.indexOf('**`--summary-json FILE`**'),
		readme.indexOf('## Exit codes'),
	);
	const table = section.split('\n').filter((line) => line.startsWith('| `'));
	for (const field of Object.keys(summary))
		assert.ok(
			table.some((row) => row.split('|')[1]?.includes(`\`${field}\``)),
			`${field} is in the table`,
		);
});

test('the README documents every field of --estimate -f json', async () => {
	const result = await runCli(['--estimate', '-f', 'json'], { input: 'x\n' });
	assert.equal(result.code, 0, result.stderr);
	const section = readme.slice(readme.indexOf('## Cost'), readme.indexOf('## Scheduling'));
	for (const field of Object.keys(JSON.parse(result.stdout)))
		assert.match(section, new RegExp(`^\\| \`${field}\` \\|`, 'm'), field);
});
