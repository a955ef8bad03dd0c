import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

/** stderr as lines, without the final newline. */
const lines = (stderr: string) => stderr.trimEnd().split('\n');

test('a prompt given where a file goes says how to send one prompt', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, 'What is 2+2?']);
	assert.equal(result.code, 2);
	assert.deepEqual(lines(result.stderr), [
		"promptbatch: cannot read What is 2+2?: no such file (arguments are files of prompts) (to send one prompt, pipe it in: echo 'What is 2+2?' | promptbatch)",
	]);
	assert.equal(server.requests.length, 0);
});

test('a mistyped option is one line with the right suggestion; a single-dash long option is refused', async () => {
	const table: [string[], RegExp][] = [
		[['--jsonl'], /unknown option '--jsonl': did you mean -f jsonl/],
		[['--output-format', 'jsonl'], /unknown option '--output-format': did you mean -f\?/],
		[['--fromat', 'jsonl'], /unknown option '--fromat': did you mean --format\?/],
		[['--api-key', 'sk-x'], /the key is read from OPENAI_API_KEY/],
		[['-model', 'gpt-4o'], /-model: a long option takes two dashes: --model/],
		[['-quiet'], /-quiet: a long option takes two dashes: --quiet/],
		[['-max-tokens', '5'], /-max-tokens: a long option takes two dashes: --max-tokens/],
	];
	for (const [args, expected] of table) {
		const result = await runCli(['--mock', ...args], { input: 'hi\n' });
		assert.equal(result.code, 2, args.join(' '));
		assert.equal(lines(result.stderr).length, 1, result.stderr);
		assert.match(result.stderr, expected);
		assert.equal(result.stdout, '');
	}
	// A value that happens to look like one is no option: -s takes it as the system prompt.
	const value = await runCli(['--mock', '-q', '-f', 'jsonl', '-s', '-model'], { input: 'hi\n' });
	assert.equal(value.code, 0, value.stderr);
});

test('an empty system prompt is refused; options that do nothing get one warning each', async () => {
	const dir = withFiles({ 'empty.txt': '\n' });
	for (const args of [
		['-s', ''],
		['-s', '@empty.txt'],
	]) {
		const result = await runCli(['--mock', ...args], { input: 'hi\n', cwd: dir });
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, /leave -s out to send none/);
	}
	const table: [string[], string][] = [
		[['--cache-ttl', '7d'], '--cache-ttl does nothing without --cache'],
		[['-q', '--verbose'], '--verbose does nothing with -q'],
		[['--batch-size', '10', '--poll', '1'], '--batch-size, --poll do nothing without --batch'],
		[['--dry-run', '-c', '4'], '-c does nothing with --dry-run'],
		[['--estimate', '-o', 'out.txt'], '-o does nothing with --estimate'],
	];
	for (const [args, warning] of table) {
		const result = await runCli(['--mock', ...args], { input: 'hi\n' });
		assert.equal(result.code, 0, result.stderr);
		const warnings = lines(result.stderr).filter((line) => line.includes('warning'));
		assert.equal(warnings.length, 1, result.stderr);
		assert.match(
			warnings[0] ?? '',
			new RegExp(`^promptbatch: warning: ${warning.replace(/[-.]/g, '\\$&')}`),
		);
	}
});

test('--version says the Node.js and openai SDK versions too', async () => {
	const result = await runCli(['--version']);
	assert.equal(result.code, 0);
	assert.match(
		result.stdout,
		/^promptbatch \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+, openai \d+\.\d+\.\d+\)\n$/,
	);
});

test('wording: quota advice said once, no ". while", "1 failed prompt", no ".; retrying"', async () => {
	const server = await mockServer();
	const quota = await runCli(['--base-url', server.url, '-c', '1'], {
		input: `q [[fault:quota]]\n${prompts(3)}`,
	});
	assert.equal(quota.code, 3, quota.stderr);
	assert.equal(quota.stderr.match(/plan and billing/g)?.length, 1, quota.stderr);

	const stopped = await runCli(['--base-url', server.url, '-c', '2', '-q', '-f', 'jsonl'], {
		input: 'a [[delay:100]] [[fault:401]]\nb [[delay:2000]]\n',
	});
	assert.equal(stopped.code, 3, stopped.stderr);
	const cut = jsonLines(stopped.stdout)[1]?.error as { message: string };
	assert.match(cut.message, /^in flight when the run stopped: authentication rejected: 401 /);
	assert.doesNotMatch(cut.message, /\. while/);

	const halted = await runCli(['--base-url', server.url, '-c', '1', '--halt', 'soon,fail=1'], {
		input: `bad [[fault:400]]\n${prompts(3)}`,
	});
	assert.equal(halted.code, 1, halted.stderr);
	assert.match(halted.stderr, /halted after 1 failed prompt \(/);

	const retried = await runCli(['--base-url', server.url, '--verbose'], {
		input: 'flaky [[fault:500x1]]\n',
	});
	assert.equal(retried.code, 0, retried.stderr);
	assert.match(retried.stderr, /attempt 1 of 6 failed: 500 .*request; retrying in/);
	assert.doesNotMatch(retried.stderr, /\.;/);
});
