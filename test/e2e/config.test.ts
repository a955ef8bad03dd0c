import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, SECRET_KEY, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('a missing key for a remote server is exit 2 with a line that says how to set it, and nothing is sent', async () => {
	const server = await mockServer();
	const result = await runCli([], {
		input: 'hi\n',
		env: { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: 'https://api.example.com/v1' },
	});
	assert.equal(result.code, 2);
	assert.match(
		result.stderr,
		/^promptbatch: OPENAI_API_KEY is not set \(export OPENAI_API_KEY=sk-\.\.\. or put OPENAI_API_KEY=sk-\.\.\. in \.env/,
	);
	assert.equal(result.stderr.trim().split('\n').length, 1);
	assert.equal(result.stdout, '');
	assert.equal(server.requests.length, 0);
});

test('bad flag values are exit 2 with one line naming the flag, and nothing is sent', async () => {
	const server = await mockServer();
	const cases: [string[], RegExp][] = [
		[
			['-c', '0'],
			/--concurrency <n>' argument '0' is invalid\. expected a whole number from 1 to 10000/,
		],
		[['-c', 'many'], /--concurrency/],
		[['--rpm', '-5'], /--rpm <n>' argument '-5' is invalid/],
		[['--tpm', 'lots'], /--tpm/],
		[['--retries', '1.5'], /--retries/],
		[['--timeout', '0'], /--timeout/],
		[
			['--timeout', '2147484'],
			/--timeout <seconds>' argument '2147484' is invalid\. expected a number above 0 and at most 2147483/,
		],
		[['-c', '100000'], /--concurrency/],
		[['--retries', '1000'], /--retries/],
		[['--max-tokens', '1e12'], /--max-tokens/],
		[['--cache-ttl', `${'9'.repeat(400)}s`], /--cache-ttl/],
		[['--temperature', '3'], /expected a number from 0 to 2/],
		[['--max-tokens', '0'], /--max-tokens/],
		[['-f', 'xml'], /argument 'xml' is invalid\. Allowed choices are text, json, jsonl/],
		[['--api', 'completions'], /--api/],
		[['--input-format', 'xml'], /--input-format/],
		[['-p', 'novalue'], /expected key=value/],
		[['--no-such-flag'], /unknown option '--no-such-flag'/],
		[['--base-url', 'ftp://x'], /invalid base URL "ftp:\/\/x"/],
	];
	for (const [args, expected] of cases) {
		const result = await runCli(['--base-url', server.url, ...args], { input: 'hi\n' });
		assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
		assert.match(result.stderr, expected, args.join(' '));
		assert.equal(result.stderr.trim().split('\n').length, 1, args.join(' '));
		assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
	}
	assert.equal(server.requests.length, 0);
});

test('.env supplies the key and base URL, stays silent, and never overrides the environment', async () => {
	const server = await mockServer();
	const dir = withFiles({
		'.env': `OPENAI_API_KEY=${SECRET_KEY}\nOPENAI_BASE_URL=${server.url}\nPROMPTBATCH_MODEL=from-dotenv\n`,
	});
	const result = await runCli([], {
		cwd: dir,
		input: 'hello\n',
		env: {
			OPENAI_API_KEY: undefined,
			DOTENV_CONFIG_DEBUG: 'true',
			DOTENV_CONFIG_QUIET: 'false',
			PROMPTBATCH_MODEL: 'from-env',
		},
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(result.stdout, '[1] hello\n');
	assert.match(result.stderr, /^promptbatch: done: 1 ok/m);
	assert.doesNotMatch(result.stderr, /dotenv|injecting/i);
	assert.equal(server.requests[0]?.body.model, 'from-env');
	assert.equal(server.requests[0]?.headers.authorization, `Bearer ${SECRET_KEY}`);
});

test('flags beat the environment: --model over PROMPTBATCH_MODEL, --base-url over OPENAI_BASE_URL', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-m', 'from-flag', '-q'], {
		input: 'x\n',
		env: { PROMPTBATCH_MODEL: 'from-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests[0]?.body.model, 'from-flag');
});

test('OPENAI_ORG_ID and OPENAI_PROJECT_ID are sent as the SDK sends them', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q'], {
		input: 'x\n',
		env: { OPENAI_ORG_ID: 'org-1', OPENAI_PROJECT_ID: 'proj-1' },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests[0]?.headers['openai-organization'], 'org-1');
	assert.equal(server.requests[0]?.headers['openai-project'], 'proj-1');
});

test('--help and --version print to stdout and exit 0', async () => {
	const help = await runCli(['--help']);
	assert.equal(help.code, 0);
	assert.match(help.stdout, /^Usage: promptbatch \[options\] \[files\.\.\.\]/);
	const version = await runCli(['--version']);
	assert.equal(version.code, 0);
	assert.match(version.stdout, /^promptbatch \d+\.\d+\.\d+ /);
});
