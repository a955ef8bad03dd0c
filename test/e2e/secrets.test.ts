import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonLines, runCli, SECRET_KEY, tempDir, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('a key with surrounding white space is trimmed once and redacted in every form', async () => {
	// The server wants another key, and its 401 echoes the one it got, trimmed by HTTP.
	const server = await mockServer({ apiKey: 'the-right-key' });
	const dir = withFiles({ 'in.txt': 'x\n' });
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'-f',
			'jsonl',
			'-o',
			'out.jsonl',
			'--summary-json',
			's.json',
			'in.txt',
		],
		{
			cwd: dir,
			env: { OPENAI_API_KEY: `  ${SECRET_KEY}\n` },
		},
	);
	assert.equal(result.code, 3, result.stderr);
	assert.equal(server.requests[0]?.headers.authorization, `Bearer ${SECRET_KEY}`);
	const written = [
		result.stdout,
		result.stderr,
		...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')),
	];
	for (const text of written) assert.ok(!text.includes(SECRET_KEY), text);
	assert.match(result.stderr, /Incorrect API key provided: \[redacted\]/);
	assert.match(
		readFileSync(join(dir, 's.json'), 'utf8'),
		/Incorrect API key provided: \[redacted\]/,
	);
});

test('a malformed key, or credentials in --base-url, is exit 2 and nothing is sent', async () => {
	const server = await mockServer();
	const inner = await runCli(['--base-url', server.url], {
		input: 'x\n',
		env: { OPENAI_API_KEY: 'sk-abc def' },
	});
	assert.equal(inner.code, 2);
	assert.match(inner.stderr, /^promptbatch: OPENAI_API_KEY is malformed/);
	const accented = await runCli(['--base-url', server.url], {
		input: 'x\n',
		env: { OPENAI_API_KEY: 'sk-clé' },
	});
	assert.equal(accented.code, 2);
	const withUser = server.url.replace('http://', 'http://alice:hunter2@');
	const credentials = await runCli(['--base-url', withUser], { input: 'x\n' });
	assert.equal(credentials.code, 2);
	assert.match(credentials.stderr, /the base URL holds credentials/);
	assert.doesNotMatch(credentials.stderr, /hunter2/);
	assert.equal(server.requests.length, 0);
});

test('a server on loopback needs no key: no Authorization header is sent', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q'], {
		input: 'x\n',
		env: { OPENAI_API_KEY: undefined },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests[0]?.headers.authorization, undefined);
	assert.equal(result.stderr, '', 'no warning about plain http on loopback');
});

test("journal, lock and cache are the owner's alone; the output follows the umask", {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [300, 300] });
	const dir = withFiles({ 'in.txt': 'a\nb\n' });
	const cache = join(tempDir(), 'cache');
	let lockMode: number | undefined;
	const result = await runCli(
		['--base-url', server.url, '-q', '-c', '1', `--cache=${cache}`, '-o', 'out.txt', 'in.txt'],
		{
			cwd: dir,
			onSpawn: () => {
				const poll = setInterval(() => {
					try {
						lockMode = statSync(join(dir, 'out.txt.lock')).mode & 0o777;
						clearInterval(poll);
					} catch {}
				}, 5);
				setTimeout(() => clearInterval(poll), 5000);
			},
		},
	);
	assert.equal(result.code, 0, result.stderr);
	const mode = (path: string) => statSync(path).mode & 0o777;
	assert.equal(lockMode, 0o600, 'lock');
	assert.equal(mode(join(dir, 'out.txt.journal')), 0o600, 'journal');
	assert.equal(mode(cache), 0o700, 'cache directory');
	for (const entry of readdirSync(cache, { recursive: true, withFileTypes: true })) {
		const path = join(entry.parentPath, entry.name);
		assert.equal(mode(path), entry.isDirectory() ? 0o700 : 0o600, path);
	}
	assert.equal(mode(join(dir, 'out.txt')), 0o666 & ~process.umask(), 'output');
	assert.equal(jsonLines(readFileSync(join(dir, 'out.txt.journal'), 'utf8')).length, 3);
});
