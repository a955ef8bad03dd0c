import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
	BIN,
	homeEnv,
	jsonLines,
	prompts,
	reportLoads,
	runCli,
	withFiles,
} from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('--estimate: prompts, exact input tokens, output bound and cost as hand arithmetic says; no key, nothing sent', async () => {
	const server = await mockServer();
	const dir = withFiles({
		'prices.json': '{"house-model": {"input": 2, "output": 10, "batch": 0.5}}',
		'in.txt': 'Hello!\nHello!\nHello!\n',
	});
	const result = await runCli(
		[
			'--estimate',
			'-f',
			'json',
			'--base-url',
			server.url,
			'-m',
			'house-model',
			'--prices',
			'prices.json',
			'--max-tokens',
			'100',
			'in.txt',
		],
		{ cwd: dir, env: { OPENAI_API_KEY: undefined } },
	);
	assert.equal(result.code, 0, result.stderr);
	// "Hello!" is 9 tokens framed; 27 in at $2/M, and at most 300 out at $10/M.
	assert.deepEqual(JSON.parse(result.stdout), {
		prompts: 3,
		input_tokens: 27,
		max_output_tokens: 300,
		cost_usd: {
			realtime: { min: 0.000054, max: 0.003054 },
			batch: { min: 0.000027, max: 0.001527 },
			flex: { min: 0.000027, max: 0.001527 },
		},
		models: ['house-model'],
		unknown_prices: [],
	});
	assert.equal(server.requests.length, 0);

	const text = await runCli(['--estimate', '-m', 'house-model', 'in.txt'], { cwd: dir });
	assert.equal(text.code, 0, text.stderr);
	assert.equal(
		text.stdout,
		'prompts: 3\ninput tokens: 27 (exact; house-model)\noutput tokens: unbounded: give --max-tokens to bound them\ncost: unknown, no price for house-model: give --prices FILE\n',
	);
});

test('--dry-run keeps the bodies on stdout and adds the estimate on stderr', async () => {
	const result = await runCli(['--dry-run', '--max-tokens', '10'], { input: 'Hello!\n' });
	assert.equal(result.code, 0, result.stderr);
	assert.equal(JSON.parse(result.stdout).messages[0].content, 'Hello!');
	assert.match(result.stderr, /^promptbatch: prompts: 1$/m);
	assert.match(result.stderr, /^promptbatch: input tokens: 9 \(exact; gpt-4o-mini\)$/m);
	assert.match(result.stderr, /^promptbatch: output tokens: at most 10$/m);
	// gpt-4o-mini: $0.15 in and $0.60 out a million: 9 in is $0.00000135, 10 out $0.000006 more.
	assert.match(result.stderr, /^promptbatch: cost: \$0\.00000135 to \$0\.00000735 realtime, /m);
});

test('--help and --version never load the tokenizer, the price data, or even commander', () => {
	// A loader hook that reports every module loaded, run before the CLI.
	const hook = reportLoads(/gpt-tokenizer|genai-prices|commander/);
	for (const flag of ['--help', '-h', '--version', '-V']) {
		const result = spawnSync(process.execPath, [hook, BIN, flag], { encoding: 'utf8' });
		assert.equal(result.status, 0, result.stderr);
		assert.doesNotMatch(result.stderr, /LOADED/);
	}
	// The help printed without commander is commander's, as it prints it when it parses.
	const quick = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
	const parsed = spawnSync(process.execPath, [hook, BIN, '-q', '--help'], {
		encoding: 'utf8',
	});
	assert.match(parsed.stderr, /LOADED \S*commander/);
	assert.equal(quick.stdout, parsed.stdout);
	assert.match(quick.stdout, /^Usage: promptbatch \[options\] \[files\.\.\.\]/);
	// The hook does see them when they load.
	const estimate = spawnSync(process.execPath, [hook, BIN, '--estimate'], {
		input: 'x\n',
		encoding: 'utf8',
		env: { ...process.env, ...homeEnv() },
	});
	assert.match(estimate.stderr, /LOADED \S*gpt-tokenizer/);
});

test('after the run: each record has cost_usd at the price of the way it went; the summary says what was spent', async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const dir = withFiles({
		'prices.json': '{"house-model": {"input": 2, "output": 10, "batch": 0.5}}',
		// The mock echoes: "abcdefgh" is 2 tokens in and 2 out.
		'in.txt': 'abcdefgh\nabcdefgh\n',
	});
	const base = ['--base-url', server.url, '-f', 'jsonl', '--prices', 'prices.json', 'in.txt'];
	// 2 in at $2/M and 2 out at $10/M: $0.000024 a prompt realtime, half that in a batch.
	const realtime = await runCli([...base, '-m', 'house-model', '--summary-json', 's.json'], {
		cwd: dir,
	});
	assert.equal(realtime.code, 0, realtime.stderr);
	assert.deepEqual(
		jsonLines(realtime.stdout).map((r) => r.cost_usd),
		[0.000024, 0.000024],
	);
	assert.match(realtime.stderr, /promptbatch: done: 2 ok, .*, \$0\.000048 spent/);
	assert.equal(JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).cost_usd, 0.000048);

	const batch = await runCli(
		[...base, '-m', 'house-model', '--batch', '--poll', '0.05', '--summary-json', 'b.json'],
		{ cwd: dir },
	);
	assert.equal(batch.code, 0, batch.stderr);
	assert.deepEqual(
		jsonLines(batch.stdout).map((r) => r.cost_usd),
		[0.000012, 0.000012],
	);
	// And what the same answers would have cost realtime.
	assert.match(batch.stderr, /\$0\.000024 spent \(\$0\.000048 at realtime prices\)/);
	const saved = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
	assert.deepEqual([saved.cost_usd, saved.realtime_cost_usd], [0.000024, 0.000048]);

	// The maintained prices: gpt-4o-mini is $0.15 in and $0.60 out a million.
	const builtIn = await runCli([...base, '-q'], { cwd: dir });
	assert.deepEqual(
		jsonLines(builtIn.stdout).map((r) => r.cost_usd),
		[0.0000015, 0.0000015],
	);

	// A model with no price: null, and said once in the summary, never guessed.
	const unknown = await runCli([...base, '-m', 'llama3'], { cwd: dir });
	assert.equal(unknown.code, 0, unknown.stderr);
	assert.deepEqual(
		jsonLines(unknown.stdout).map((r) => r.cost_usd),
		[null, null],
	);
	assert.equal(unknown.stderr.match(/cost unknown for llama3 \(give --prices\)/g)?.length, 1);
});

test('a cost the server reports wins over the price table: OpenRouter usage.cost, LiteLLM header', async () => {
	const input = 'abcdefgh\nabcdefgh\n';
	const openrouter = await mockServer({ usageCost: 0.0125 });
	const routed = await runCli(['--base-url', openrouter.url, '-f', 'jsonl', '-m', 'llama3'], {
		input,
	});
	assert.equal(routed.code, 0, routed.stderr);
	assert.deepEqual(
		jsonLines(routed.stdout).map((r) => r.cost_usd),
		[0.0125, 0.0125],
	);
	assert.match(routed.stderr, /done: 2 ok, .*\$0\.03 spent/);
	assert.doesNotMatch(routed.stderr, /cost unknown/);

	const litellm = await mockServer({ headers: { 'x-litellm-response-cost': '0.0031' } });
	const proxied = await runCli(['--base-url', litellm.url, '-f', 'jsonl', '-q'], { input });
	assert.deepEqual(
		jsonLines(proxied.stdout).map((r) => r.cost_usd),
		[0.0031, 0.0031],
		'the header, not gpt-4o-mini price',
	);

	// A hostile or broken figure is no cost: the price table's answer stands.
	const broken = await mockServer({ headers: { 'x-litellm-response-cost': '-1e309' } });
	const priced = await runCli(['--base-url', broken.url, '-f', 'jsonl', '-q'], { input });
	assert.deepEqual(
		jsonLines(priced.stdout).map((r) => r.cost_usd),
		[0.0000015, 0.0000015],
	);
});

test('an answer from the cache cost nothing this run', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': 'abcdefgh\n' });
	const args = ['--base-url', server.url, '-f', 'jsonl', '-q', '--cache', 'c', 'in.txt'];
	await runCli(args, { cwd: dir });
	const again = await runCli(args, { cwd: dir });
	assert.equal(jsonLines(again.stdout)[0]?.cost_usd, 0);
	assert.equal(jsonLines(again.stdout)[0]?.cached, true);
});

test('--max-cost stops before the cap by the real usage, never above it, and --resume finishes with nothing paid twice', async () => {
	const server = await mockServer({ latencyMs: [5, 20] });
	const lines = Array.from(
		{ length: 30 },
		(_, i) => `prompt number ${String(i).padStart(2, '0')} here`,
	);
	const dir = withFiles({
		'prices.json': '{"house-model": {"input": 100, "output": 1000}}',
		'in.txt': `${lines.join('\n')}\n`,
	});
	const args = [
		'--base-url',
		server.url,
		'-m',
		'house-model',
		'--prices',
		'prices.json',
		'--max-tokens',
		'10',
		'-f',
		'jsonl',
		'-o',
		'out.jsonl',
		'--summary-json',
		's.json',
		'in.txt',
	];
	const capped = await runCli([...args, '--max-cost', '0.1'], { cwd: dir });
	assert.equal(capped.code, 1, capped.stderr);
	assert.match(capped.stderr, /--max-cost \$0\.10 reached: /);
	assert.match(capped.stderr, /to finish the run: .* --resume/);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	const spent = records.reduce((sum, r) => sum + (r.cost_usd as number), 0);
	assert.ok(records.length > 0 && records.length < 30, `${records.length} answered`);
	assert.ok(spent <= 0.1, `spent ${spent}`);
	// Each answer cost about 0.0088, so the cap was used, not left idle: at most one more would fit.
	assert.ok(spent > 0.1 - 2 * 0.0115, `spent ${spent}`);
	assert.equal(JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).end, 'halted');
	assert.equal(server.requests.length, records.length, 'nothing beyond the cap was sent');

	const resumed = await runCli([...args, '--max-cost', '1', '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 30);
	assert.equal(server.requests.length, 30, 'no prompt sent twice');
});

test('--max-cost refuses to start without a price; without --max-tokens it says what it reserves', async () => {
	const server = await mockServer();
	const unknown = await runCli(
		['--base-url', server.url, '-m', 'llama3', '--max-tokens', '5', '--max-cost', '1'],
		{
			input: 'a\n',
		},
	);
	assert.equal(unknown.code, 2, unknown.stderr);
	assert.match(
		unknown.stderr,
		/--max-cost: no price for model llama3.*give its price with --prices FILE/,
	);
	// gpt-4o-mini's whole 128k context window of output is $0.077: a 5-cent cap sends nothing.
	const unbounded = await runCli(['--base-url', server.url, '--max-cost', '0.05'], {
		input: 'a\n',
	});
	assert.equal(unbounded.code, 1, unbounded.stderr);
	assert.match(unbounded.stderr, /warning: --max-cost without --max-tokens/);
	assert.match(unbounded.stderr, /--max-cost \$0\.05 reached: \$0 spent or in flight/);
	assert.equal(server.requests.length, 0);
});

test("a prompt past its model's context window is refused as bad input, with file:line, before anything is sent", async () => {
	const server = await mockServer();
	// 40 words of one token each, framed as a chat (3 + "user" + 3 priming): 47 tokens, under 50.
	const long = Array.from({ length: 40 }, () => 'word').join(' ');
	const dir = withFiles({
		'prices.json': '{"tiny": {"input": 1, "output": 1, "context_window": 50}}',
		'in.txt': `short\nshort\n${long}\n`,
	});
	const base = ['--base-url', server.url, '-m', 'tiny', '--prices', 'prices.json'];
	const tight = await runCli([...base, '--max-tokens', '20', 'in.txt'], { cwd: dir });
	assert.equal(tight.code, 2, tight.stderr);
	assert.equal(
		tight.stderr,
		'promptbatch: in.txt:3: prompt 3 is 47 tokens and asks for up to 20 more, past the 50-token context window of tiny (lower --max-tokens, or shorten the prompt)\n',
	);
	assert.equal(server.requests.length, 0);
	assert.equal(tight.stdout, '');

	const fits = await runCli([...base, 'in.txt'], { cwd: dir });
	assert.equal(fits.code, 0, fits.stderr);
	assert.equal(server.requests.length, 3);

	// Read once from stdin, the prompt is refused when it comes, before it is sent.
	const piped = await runCli([...base, '--max-tokens', '20', '-f', 'jsonl'], {
		cwd: dir,
		input: `short\n${long}\nshort\n`,
	});
	assert.equal(piped.code, 2, piped.stderr);
	assert.match(piped.stderr, /^promptbatch: -:2: prompt 2 is 47 tokens/m);
	assert.equal(server.requests.length, 4, 'the long prompt and those after it were never sent');
	assert.equal(jsonLines(piped.stdout).length, 1);

	// A real model's window: gpt-4o-mini takes 128,000 tokens.
	const huge = `${'word '.repeat(130_000)}\n`;
	const real = await runCli(['--base-url', server.url, '-'], { input: huge });
	assert.equal(real.code, 2, real.stderr);
	assert.match(
		real.stderr,
		/-:1: prompt 1 is 130008 tokens, past the 128000-token context window of gpt-4o-mini \(shorten or split/,
	);
	assert.equal(server.requests.length, 4);
});

test('--max-cost with --batch: each batch reserves its worst case at the batch price, settled when collected; never above the cap, and --resume finishes', async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const dir = withFiles({
		'prices.json': '{"house-model": {"input": 100, "output": 1000}}',
		'in.txt': prompts(30, (i) => `prompt number ${String(i).padStart(2, '0')} here`),
	});
	const args = [
		...['--base-url', server.url, '--batch', '--poll', '0.02', '--batch-size', '5'],
		...['-m', 'house-model', '--prices', 'prices.json', '--max-tokens', '10'],
		...['-f', 'jsonl', '-o', 'out.jsonl', '--summary-json', 's.json', 'in.txt'],
	];
	// About $0.0033 a prompt at the batch price, and up to $0.0056 reserved for each.
	const capped = await runCli([...args, '--max-cost', '0.08'], { cwd: dir });
	assert.equal(capped.code, 1, capped.stderr);
	assert.match(capped.stderr, /--max-cost \$0\.08 reached: /);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	const spent = records.reduce((sum, r) => sum + (r.cost_usd as number), 0);
	assert.ok(records.length > 15 && records.length < 30, `${records.length} answered`);
	assert.ok(spent <= 0.08 && spent > 0.08 - 2 * 0.0056, `spent ${spent}`);
	assert.deepEqual(
		records.map((r) => r.index),
		Array.from({ length: records.length }, (_, i) => i + 1),
	);
	assert.ok(server.batches.length > 4, 'batches went on as the first ones settled');
	assert.equal(JSON.parse(readFileSync(join(dir, 's.json'), 'utf8')).end, 'halted');
	const lines = () => server.batches.reduce((n, b) => n + Number(b.metadata?.promptbatch_lines), 0);
	assert.equal(lines(), records.length, 'nothing past the cap was submitted');

	const resumed = await runCli([...args, '--max-cost', '1', '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 30);
	assert.equal(lines(), 30, 'no prompt submitted twice');
});

test('the price data is loaded once a day for a model, not at every run: its answer is kept in the cache directory', async () => {
	const server = await mockServer();
	const home = withFiles({});
	const run = () =>
		runCli(['--base-url', server.url, '-f', 'jsonl'], {
			input: 'abcdefgh\n',
			env: { XDG_CACHE_HOME: home, NODE_OPTIONS: reportLoads(/genai-prices/) },
		});
	const first = await run();
	assert.equal(first.code, 0, first.stderr);
	assert.match(first.stderr, /LOADED \S+genai-prices/);
	const memo = readdirSync(join(home, 'promptbatch')).filter((name) => name.startsWith('prices-'));
	assert.equal(memo.length, 1, 'one memo');
	const second = await run();
	assert.equal(second.code, 0, second.stderr);
	assert.doesNotMatch(second.stderr, /LOADED/);
	// gpt-4o-mini: 2 tokens in at $0.15 and 2 out at $0.60 a million, from the data or the memo.
	for (const result of [first, second])
		assert.equal(jsonLines(result.stdout)[0]?.cost_usd, 0.0000015);
	// A memo that is not one is asked again, and answers the same.
	writeFileSync(join(home, 'promptbatch', memo[0] as string), '{"gpt-4o-mini": {"input": "free"}}');
	const third = await run();
	assert.match(third.stderr, /LOADED \S+genai-prices/);
	assert.equal(jsonLines(third.stdout)[0]?.cost_usd, 0.0000015);
});
