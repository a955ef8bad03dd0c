import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HaltError, UsageError } from '../../src/core/errors.ts';
import { formatUsd } from '../../src/core/text.ts';
import type { ApiRequest, ResultRecord } from '../../src/core/types.ts';
import { Budget } from '../../src/cost/budget.ts';
import { EstimateTally } from '../../src/cost/estimate.ts';
import { costOf, loadPrices, type ModelPrice, readPricesFile } from '../../src/cost/prices.ts';
import { countBody, TokenCounter } from '../../src/requests/exact-tokens.ts';
import { tempDir } from '../helpers/cli.ts';

test('exact tokens: known counts, chat framing, special-token text, long runs', async () => {
	const tokens = await TokenCounter.load();
	for (const model of ['gpt-4o-mini', 'gpt-4', 'some-local-model']) await tokens.prepare(model);
	// OpenAI's own example: "Hello!" as one user message is 9 prompt tokens, on o200k and cl100k.
	const hello = { messages: [{ role: 'user', content: 'Hello!' }] };
	assert.equal(tokens.count(hello, 'gpt-4o-mini'), 9);
	assert.equal(tokens.count(hello, 'gpt-4'), 9);
	// "Hello, world!" is 4 tokens: Hello , world !
	assert.equal(tokens.count({ input: 'Hello, world!' }, 'gpt-4o-mini'), 3 + 3 + 1 + 4);
	// An unknown model counts as o200k_base, the encoding of every current OpenAI model.
	assert.equal(tokens.count(hello, 'some-local-model'), 9);
	// Text that spells a special token is text: counted, never refused.
	assert.ok(tokens.count({ input: 'a <|endoftext|> b' }, 'gpt-4o-mini') > 7);
	// A long run of one character is counted in pieces: never fewer tokens than exact.
	const run = 'a'.repeat(5000);
	const whole = countBody({ input: run }, (text) => text.length);
	assert.equal(tokens.count({ input: 'x' }, 'gpt-4o-mini') > 0, true);
	assert.ok(tokens.count({ input: run }, 'gpt-4o-mini') <= whole);
	assert.ok(tokens.count({ input: run }, 'gpt-4o-mini') >= 5000 / 8);
});

test("exact tokens: tiktoken's published values (OpenAI cookbook, How to count tokens with tiktoken)", async () => {
	const { encode } = await import('gpt-tokenizer/encoding/cl100k_base');
	// The token ids themselves, prose and Japanese.
	assert.deepEqual(encode('tiktoken is great!'), [83, 1609, 5963, 374, 2294, 0]);
	assert.deepEqual(
		encode('お誕生日おめでとう'),
		[33334, 45918, 243, 21990, 9080, 33334, 62004, 16556, 78699],
	);
	// The cookbook's comparison of encodings: cl100k_base (gpt-4) against o200k_base (gpt-4o).
	const tokens = await TokenCounter.load();
	for (const model of ['gpt-4', 'gpt-4o', 'gpt-4o-mini']) await tokens.prepare(model);
	const bare = (text: string, model: string) => tokens.count({ input: text }, model) - 7;
	for (const [text, cl100k, o200k] of [
		['antidisestablishmentarianism', 6, 6],
		['2 + 2 = 4', 7, 7],
		['お誕生日おめでとう', 9, 8],
	] as const) {
		assert.equal(bare(text, 'gpt-4'), cl100k, text);
		assert.equal(bare(text, 'gpt-4o'), o200k, text);
	}
	// Its chat example: 129 prompt tokens for gpt-4, 124 for gpt-4o and gpt-4o-mini, as the API said.
	const messages = [
		{
			role: 'system',
			content:
				'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
		},
		{
			role: 'system',
			name: 'example_user',
			content: 'New synergies will help drive top-line growth.',
		},
		{
			role: 'system',
			name: 'example_assistant',
			content: 'Things working well together will increase revenue.',
		},
		{
			role: 'system',
			name: 'example_user',
			content:
				"Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
		},
		{
			role: 'system',
			name: 'example_assistant',
			content: "Let's talk later when we're less busy about how to do better.",
		},
		{
			role: 'user',
			content:
				"This late pivot means we don't have time to boil the ocean for the client deliverable.",
		},
	];
	assert.equal(tokens.count({ messages }, 'gpt-4'), 129);
	assert.equal(tokens.count({ messages }, 'gpt-4o'), 124);
	assert.equal(tokens.count({ messages }, 'gpt-4o-mini'), 124);
	// Code and emoji, as gpt-tokenizer counts them (measured exact against tiktoken; see #10).
	assert.equal(bare('def f(x):\n    return x * 2\n', 'gpt-4o'), 11);
	assert.equal(bare('👋🌍 emoji 🎉', 'gpt-4o'), 7);
});

test('chat framing: 3 a message, its role, a name, 3 to prime the reply; instructions are a message', () => {
	const chars = (text: string) => text.length;
	assert.equal(countBody({ messages: [] }, chars), 3);
	assert.equal(
		countBody(
			{
				messages: [
					{ role: 'system', content: 'abc' },
					{ role: 'user', name: 'bo', content: [{ type: 'text', text: 'de' }] },
				],
			},
			chars,
		),
		3 + (3 + 6 + 3) + (3 + 4 + 2 + 1 + 2),
	);
	assert.equal(
		countBody({ instructions: 'ab', input: 'cd' }, chars),
		3 + (3 + 6 + 2) + (3 + 4 + 2),
	);
});

test('prices: the maintained data, a --prices file over it, and the batch factor', async () => {
	const dir = tempDir();
	const file = join(dir, 'prices.json');
	writeFileSync(
		file,
		JSON.stringify({
			'my-model': { input: 1, output: 2 },
			'gpt-4o-mini': { input: 10, output: 20, batch: 0.25 },
		}),
	);
	const prices = await loadPrices(file);
	assert.deepEqual(prices('my-model'), {
		input: 1,
		output: 2,
		cachedInput: 1,
		batch: 0.5,
		source: `--prices ${file}`,
		contextWindow: undefined,
	});
	assert.equal(prices('gpt-4o-mini')?.input, 10, 'the file wins');
	const builtIn = await loadPrices();
	const mini = builtIn('gpt-4o-mini') as ModelPrice;
	assert.deepEqual(
		[mini.input, mini.output, mini.cachedInput, mini.batch],
		[0.15, 0.6, 0.075, 0.5],
	);
	assert.equal(builtIn('no-such-model'), undefined);
	assert.equal(mini.contextWindow, 128_000);
	writeFileSync(file, '{"m": {"input": 1, "output": 1, "context_window": 4096}}');
	assert.equal(readPricesFile(file).m?.contextWindow, 4096);
	// The price of an ordinary request, not of the long-context tier (past 272k input tokens).
	assert.deepEqual([builtIn('gpt-5.4')?.input, builtIn('gpt-5.4')?.output], [2.5, 15]);
	assert.equal(costOf(mini, { input: 1e6, output: 1e6 }), 0.75);
	assert.equal(costOf(mini, { input: 1e6, cachedInput: 1e6, output: 0 }, 'batch'), 0.0375);
	for (const bad of [
		'[]',
		'{"m": {"input": -1, "output": 1}}',
		'{"m": {"input": 1}}',
		'{"m": {"input": 1, "output": 1, "context_window": "big"}}',
		'not json',
	]) {
		writeFileSync(file, bad);
		assert.throws(() => readPricesFile(file), UsageError, bad);
	}
});

test('estimates: exact input, output bound or unbounded, unknown prices null, never guessed', () => {
	const price: ModelPrice = { input: 1, output: 2, cachedInput: 1, batch: 0.5, source: 'test' };
	const prices = (model: string) => (model === 'known' ? price : undefined);
	const bounded = new EstimateTally();
	bounded.add('known', 1000, 500);
	bounded.add('known', 1000, 500);
	assert.deepEqual(bounded.estimate(prices), {
		prompts: 2,
		input_tokens: 2000,
		max_output_tokens: 1000,
		cost_usd: {
			realtime: { min: 0.002, max: 0.004 },
			batch: { min: 0.001, max: 0.002 },
			flex: { min: 0.001, max: 0.002 },
		},
		models: ['known'],
		unknown_prices: [],
	});
	const open = new EstimateTally();
	open.add('known', 10, undefined);
	open.add('other', 10, 5);
	const estimate = open.estimate(prices);
	assert.equal(estimate.max_output_tokens, null);
	assert.deepEqual(estimate.cost_usd, { realtime: null, batch: null, flex: null });
	assert.deepEqual(estimate.unknown_prices, ['other']);
	assert.deepEqual([0, 0.00345, 12.3456, 7.5e-7, 0.000001125, 1.23456e-9].map(formatUsd), [
		'$0',
		'$0.00345',
		'$12.35',
		'$0.00000075',
		'$0.000001125',
		'$0.000000001235',
	]);
});

test('Budget: reserves the worst case, settles to the real cost, waits for requests in flight, never crosses the cap', async () => {
	const request = { body: {} } as ApiRequest;
	const budget = new Budget(1, async () => 0.4);
	const answered = (cost: number) => ({ error: null, cost_usd: cost }) as ResultRecord;
	const first = await budget.reserve(request);
	const second = await budget.reserve(request);
	assert.deepEqual([first, second], [0.4, 0.4]);
	// 0.8 is committed: a third 0.4 waits for an answer rather than halting...
	const third = budget.reserve(request);
	budget.settle(0.4, answered(0.1));
	assert.equal(await third, 0.4);
	// ...0.9 now: a fourth can't fit even when a server error gives its reservation back.
	const fourth = budget.reserve(request);
	budget.settle(0.4, { error: { status: 500 } } as ResultRecord);
	assert.equal(await fourth, 0.4);
	// A timeout may have been billed: its reservation stays. 0.9 committed, nothing in flight.
	budget.settle(0.4, { error: { status: null } } as ResultRecord);
	budget.settle(0.4, answered(0.4));
	const refused = await budget.reserve(request);
	assert.ok(refused instanceof HaltError);
	assert.match(
		refused.message,
		/--max-cost \$1\.00 reached: \$0\.90 spent or in flight, and the next prompt could cost up to \$0\.40/,
	);
	const cheap = new Budget(1, async () => 0.5);
	const never = await cheap.reserve(request);
	cheap.release(never as number);
	assert.equal(await cheap.reserve(request), 0.5);
});

test('Budget for batches: the longest prefix that fits is reserved at once, and settled when collected', async () => {
	const request = { body: {} } as ApiRequest;
	const budget = new Budget(1, async () => 0.25);
	const five = Array.from({ length: 5 }, () => request);
	// Four of 0.25 fit under 1; the fifth would not.
	assert.deepEqual(await budget.reservePrefix(five), { count: 4, reserved: 1, next: 0.25 });
	assert.deepEqual(await budget.reservePrefix(five), { count: 0, reserved: 0, next: 0.25 });
	// The batch cost 0.25 in all: 0.75 is free again, for three more.
	budget.settleShard(1, 0.25);
	assert.deepEqual(await budget.reservePrefix(five), { count: 3, reserved: 0.75, next: 0.25 });
	budget.settleShard(0.75, 0);
	assert.deepEqual(await budget.reservePrefix([request]), {
		count: 1,
		reserved: 0.25,
		next: undefined,
	});
});
