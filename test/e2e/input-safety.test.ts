import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
	createWriteStream,
	openSync,
	readdirSync,
	readFileSync,
	readlinkSync,
	writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
	BIN,
	homeEnv,
	jsonLines,
	prompts,
	runCli,
	SECRET_KEY,
	tempDir,
	withFiles,
} from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

/** Whether process `pid` has `path` open (Linux). */
function holdsOpen(pid: number, path: string): boolean {
	try {
		return readdirSync(`/proc/${pid}/fd`).some((fd) => {
			try {
				return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
			} catch {
				return false;
			}
		});
	} catch {
		return false;
	}
}

function fifo(): string {
	const path = join(tempDir(), 'prompts.fifo');
	const made = spawnSync('mkfifo', [path]);
	assert.equal(made.status, 0, 'mkfifo');
	return path;
}

test('a FIFO or /dev/stdin named as a file is read once, checked as it streams, and nothing is lost', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer();
	const path = fifo();
	const running = runCli(['--base-url', server.url, '-q', path]);
	const writer = createWriteStream(path);
	writer.end(prompts(5));
	const result = await running;
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(
		result.stdout.trim().split('\n'),
		[1, 2, 3, 4, 5].map((i) => `[${i}] prompt ${i}`),
	);

	const devStdin = await runCli(['--base-url', server.url, '-q', '/dev/stdin'], {
		input: 'a\nb\n',
	});
	assert.equal(devStdin.code, 0, devStdin.stderr);
	assert.equal(devStdin.stdout, '[1] a\n[2] b\n');
});

test('SIGTERM ends a run blocked on a FIFO that nobody writes', { timeout: 30_000 }, async () => {
	const path = fifo();
	const result = await runCli(['--mock', '-q', path], {
		env: { OPENAI_API_KEY: undefined },
		onSpawn: (child) => {
			// Signal once the run has the FIFO open (so its handlers are in place), not before.
			const poll = setInterval(() => {
				if (!holdsOpen(child.pid as number, path)) return;
				clearInterval(poll);
				child.kill('SIGTERM');
			}, 10);
			child.on('close', () => clearInterval(poll));
		},
	});
	assert.equal(result.code, 143, result.stderr);
});

test('-o naming the file stdin is redirected from is refused; -o /dev/stdout is stdout', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'p.txt': prompts(3) });
	const child = spawn(process.execPath, [BIN, '--base-url', server.url, '-o', 'p.txt'], {
		cwd: dir,
		env: { PATH: process.env.PATH ?? '', ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
		stdio: [openSync(join(dir, 'p.txt'), 'r'), 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr?.on('data', (chunk) => {
		stderr += chunk;
	});
	const [code] = (await once(child, 'close')) as [number];
	assert.equal(code, 2);
	assert.match(
		stderr,
		/^promptbatch: -o p\.txt is also standard input; writing it would destroy the input/,
	);
	assert.equal(readFileSync(join(dir, 'p.txt'), 'utf8'), prompts(3));
	assert.equal(server.requests.length, 0);

	const devStdout = await runCli(['--base-url', server.url, '-q', '-o', '/dev/stdout'], {
		input: 'x\n',
	});
	assert.equal(devStdout.code, 0, devStdout.stderr);
	assert.equal(devStdout.stdout, '[1] x\n');
});

test('input that is not UTF-8 is refused at its line with a hint, and nothing is sent', async () => {
	const server = await mockServer();
	const dir = tempDir();
	writeFileSync(join(dir, 'latin1.txt'), Buffer.from('fine\ncaf\xe9 au lait\n', 'latin1'));
	writeFileSync(
		join(dir, 'utf16.txt'),
		Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hi\r\n', 'utf16le')]),
	);
	writeFileSync(join(dir, 'utf16-no-bom.txt'), Buffer.from('hi\r\nthere\r\n', 'utf16le'));
	const cases: [string, RegExp][] = [
		[
			'latin1.txt',
			/^promptbatch: latin1\.txt:2: is not valid UTF-8 \(byte 0xe9\).*iconv -f LATIN1 -t UTF-8 latin1\.txt/,
		],
		[
			'utf16.txt',
			/^promptbatch: utf16\.txt:1: starts with a UTF-16 byte order mark.*iconv -f UTF-16 -t UTF-8/,
		],
		[
			'utf16-no-bom.txt',
			/^promptbatch: utf16-no-bom\.txt:1: contains a NUL byte.*iconv -f UTF-16 -t UTF-8/,
		],
	];
	for (const [name, expected] of cases) {
		const result = await runCli(['--base-url', server.url, name], { cwd: dir });
		assert.equal(result.code, 2, name);
		assert.match(result.stderr, expected, name);
	}
	assert.equal(server.requests.length, 0);
});

test('a 30 MB line split across many reads arrives whole', { timeout: 60_000 }, async () => {
	const dir = tempDir();
	const long = 'x'.repeat(30_000_000);
	writeFileSync(join(dir, 'long.txt'), `short\n${long}\nlast\n`);
	const result = await runCli(['--dry-run', 'long.txt'], { cwd: dir });
	assert.equal(result.code, 0, result.stderr);
	const bodies = jsonLines(result.stdout) as { messages: { content: string }[] }[];
	assert.deepEqual(
		bodies.map((b) => b.messages[0]?.content.length),
		[5, 30_000_000, 4],
	);
});

test('JSON nested too deep is bad input at its line, on files and on stdin alike', async () => {
	const server = await mockServer();
	const deep = `{"prompt": "x", "a": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
	const dir = withFiles({ 'deep.jsonl': `"fine"\n${deep}\n` });
	const file = await runCli(['--base-url', server.url, 'deep.jsonl'], { cwd: dir });
	assert.equal(file.code, 2);
	assert.match(file.stderr, /^promptbatch: deep\.jsonl:2: JSON nested 20001 deep \(at most 512\)/);
	assert.equal(server.requests.length, 0);
	const stdin = await runCli(
		['--base-url', server.url, '-q', '-f', 'jsonl', '--input-format', 'jsonl'],
		{
			input: `"fine"\n${deep}\n"never"\n`,
		},
	);
	assert.equal(stdin.code, 2);
	assert.match(stdin.stderr, /-:2: JSON nested/);
	assert.doesNotMatch(stdin.stderr, /internal error|RangeError/);
	assert.deepEqual(
		jsonLines(stdin.stdout).map((r) => r.response),
		['fine'],
	);
});

test("template fields are a record's own; -p __proto__ is refused; a template without fields is refused", async () => {
	const server = await mockServer();
	for (const field of ['constructor', 'toString', '__proto__']) {
		const result = await runCli(
			['--base-url', server.url, '--input-format', 'jsonl', '-t', `{{${field}}}`],
			{
				input: '{"text": "x"}\n',
			},
		);
		assert.equal(result.code, 2, field);
		assert.match(result.stderr, new RegExp(`record has no field "${field}"`), field);
	}
	const proto = await runCli(['--base-url', server.url, '-p', '__proto__.x=1'], { input: 'x\n' });
	assert.equal(proto.code, 2);
	assert.match(proto.stderr, /no body field can be called "__proto__\.x"/);
	assert.doesNotMatch(proto.stderr, /\n\s+at /);
	const fixed = await runCli(['--base-url', server.url, '-t', 'Say hello'], { input: 'a\nb\n' });
	assert.equal(fixed.code, 2);
	assert.match(
		fixed.stderr,
		/--template has no \{\{input\}\} and no \{\{field\}\}: every request would be the same/,
	);
	assert.equal(server.requests.length, 0);
});

test('a streamed answer is refused before sending: -p stream=true, or "stream": true in a Batch line', async () => {
	const server = await mockServer();
	const flag = await runCli(['--base-url', server.url, '-p', 'stream=true'], { input: 'x\n' });
	assert.equal(flag.code, 2);
	assert.match(flag.stderr, /^promptbatch: -p stream=true: promptbatch reads whole answers/);
	const line = {
		custom_id: 'a',
		method: 'POST',
		url: '/v1/chat/completions',
		body: { model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] },
	};
	const dir = withFiles({ 'batch.jsonl': `${JSON.stringify(line)}\n` });
	const batch = await runCli(['--base-url', server.url, 'batch.jsonl'], { cwd: dir });
	assert.equal(batch.code, 2);
	assert.match(batch.stderr, /^promptbatch: batch\.jsonl:1: "stream": true/);
	assert.equal(server.requests.length, 0);
});

test('process substitution <(...) is read once: every prompt is answered', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer();
	const child = spawn(
		'bash',
		[
			'-c',
			`"$0" "$1" --base-url "$2" -q <(printf 'a\\nb\\nc\\n')`,
			process.execPath,
			BIN,
			server.url,
		],
		{
			env: { PATH: process.env.PATH ?? '', ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let stdout = '';
	child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	const [code] = (await once(child, 'close')) as [number];
	assert.equal(code, 0);
	assert.equal(stdout, '[1] a\n[2] b\n[3] c\n');
});
