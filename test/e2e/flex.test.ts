import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('--service-tier flex: sent on every request, the tier served recorded, priced as a batch', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-f', 'jsonl', '--service-tier', 'flex'], {
		input: 'abcdefgh\nabcdefgh\n',
	});
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(
		server.requests.map((r) => r.body.service_tier),
		['flex', 'flex'],
	);
	assert.match(result.stderr, /\$0\.0000015 spent \(\$0\.000003 at realtime prices\)/);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => [r.service_tier, r.cost_usd]),
		// gpt-4o-mini, 2 tokens each way at half of $0.15 and $0.60 a million.
		[
			['flex', 0.00000075],
			['flex', 0.00000075],
		],
	);

	// "auto" is served by the default tier, at the realtime price; no tier asked, none recorded.
	const auto = await runCli(['--base-url', server.url, '-f', 'jsonl', '--service-tier', 'auto'], {
		input: 'abcdefgh\n',
	});
	assert.deepEqual(
		jsonLines(auto.stdout).map((r) => [r.service_tier, r.cost_usd]),
		[['default', 0.0000015]],
	);
	const plain = await runCli(['--base-url', server.url, '-f', 'jsonl'], { input: 'abcdefgh\n' });
	assert.equal(jsonLines(plain.stdout)[0]?.service_tier, null);
	assert.equal(server.requests.at(-1)?.body.service_tier, undefined);

	// Priority processing has no known price: null, and said, never guessed.
	const priority = await runCli(
		['--base-url', server.url, '-f', 'jsonl', '--service-tier', 'priority'],
		{
			input: 'abcdefgh\n',
		},
	);
	assert.equal(jsonLines(priority.stdout)[0]?.cost_usd, null);
	assert.match(priority.stderr, /cost unknown for gpt-4o-mini at priority processing/);
});

test('flex 429 "Resource Unavailable" is retried without counting against --retries, until --timeout, then reported', async () => {
	const server = await mockServer();
	const flex = [
		'--base-url',
		server.url,
		'-f',
		'jsonl',
		'--service-tier',
		'flex',
		'--retries',
		'0',
	];
	const result = await runCli([...flex, '--verbose'], {
		input: 'busy [[fault:unavailablex3]]\nbroken [[fault:500x1]]\n',
	});
	assert.equal(result.code, 1, result.stderr);
	const [busy, broken] = jsonLines(result.stdout);
	assert.equal(busy?.error, null, 'answered on the 4th attempt with --retries 0');
	assert.equal(busy?.attempts, 4);
	assert.equal(busy?.service_tier, 'flex');
	// A real failure still counts: with --retries 0, one attempt.
	assert.equal((broken?.error as { status: number } | undefined)?.status, 500);
	assert.equal(broken?.attempts, 1);
	assert.match(
		result.stderr,
		/\[1\] attempt 1: flex processing has no capacity \(not billed, not counted as a retry\)/,
	);

	// Never any capacity: retried for as long as --timeout allows, then reported.
	const started = performance.now();
	const starved = await runCli([...flex, '--timeout', '0.5'], {
		input: 'never [[fault:unavailable]]\n',
	});
	assert.equal(starved.code, 1, starved.stderr);
	const [never] = jsonLines(starved.stdout);
	const error = never?.error as { status: number; type: string; message: string };
	assert.equal(error.status, 429);
	assert.equal(error.type, 'resource_unavailable');
	assert.match(
		error.message,
		/flex processing had no capacity for \d+s: send it again later, or without --service-tier flex/,
	);
	assert.ok((never?.attempts as number) > 2, `attempts: ${never?.attempts}`);
	assert.ok(performance.now() - started < 30_000);
});

test('--service-tier is for realtime requests: refused with --batch', async () => {
	const result = await runCli(['--batch', '--service-tier', 'flex', '--mock'], { input: 'a\n' });
	assert.equal(result.code, 2, result.stderr);
	assert.match(result.stderr, /--service-tier with --batch/);
});

test('--max-cost reserves flex at the batch price; priority, with no price, is refused', async () => {
	const server = await mockServer();
	const dir = withFiles({
		'prices.json': '{"house-model": {"input": 100, "output": 1000}}',
		'in.txt': prompts(30, (i) => `prompt number ${String(i).padStart(2, '0')} here`),
	});
	const args = ['--base-url', server.url, '-m', 'house-model', '--prices', 'prices.json'];
	const capped = [...args, '--max-tokens', '10', '-f', 'jsonl', '--max-cost', '0.11', 'in.txt'];
	// About $0.0066 a prompt realtime: the cap holds 16 of 30; at flex's half price, all 30.
	const realtime = await runCli(capped, { cwd: dir });
	assert.equal(realtime.code, 1, realtime.stderr);
	const flex = await runCli([...capped, '--service-tier', 'flex'], { cwd: dir });
	assert.equal(flex.code, 0, flex.stderr);
	const records = jsonLines(flex.stdout);
	assert.equal(records.length, 30);
	const spent = records.reduce((sum, r) => sum + (r.cost_usd as number), 0);
	assert.ok(spent <= 0.11 && spent > 0.09, `spent ${spent}`);

	const priority = await runCli([...capped, '--service-tier', 'priority'], { cwd: dir });
	assert.equal(priority.code, 2, priority.stderr);
	assert.match(priority.stderr, /--max-cost: priority processing has no known price/);
});
