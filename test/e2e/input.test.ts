import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('every JSONL kind: string, prompt object, fields with a template, chat messages, Batch API lines', async () => {
	const server = await mockServer();
	const lines = [
		'"just a string"',
		'{"id": "p-1", "prompt": "a prompt object"}',
		'{"custom_id": "f-1", "text": "a field", "lang": "French"}',
		'{"messages": [{"role": "system", "content": "be terse"}, {"role": "user", "content": "a chat"}]}',
		'{"custom_id": "b-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-batch", "messages": [{"role": "user", "content": "a batch line"}], "max_tokens": 7}}',
		'{"custom_id": "b-2", "method": "POST", "url": "/v1/responses", "body": {"model": "gpt-resp", "input": "a responses line"}}',
	];
	const dir = withFiles({ 'in.jsonl': `${lines.join('\n')}\n` });
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'-f',
			'jsonl',
			'-q',
			'-t',
			'{{input}}{{text}} in {{lang}}',
			'in.jsonl',
		],
		{
			cwd: dir,
		},
	);
	// The template needs {{text}} and {{lang}}, which the string record lacks: refused, nothing sent.
	assert.equal(result.code, 2);
	assert.match(
		result.stderr,
		/^promptbatch: in\.jsonl:1: record has no field "text", which the template uses/,
	);
	assert.equal(server.requests.length, 0);

	const ok = await runCli(['--base-url', server.url, '-f', 'jsonl', '-q', 'in.jsonl'], {
		cwd: withFiles({ 'in.jsonl': `${lines.filter((_, i) => i !== 2).join('\n')}\n` }),
	});
	assert.equal(ok.code, 0, ok.stderr);
	const records = jsonLines(ok.stdout);
	assert.deepEqual(
		records.map((r) => [r.index, r.id, r.response]),
		[
			[1, 1, 'just a string'],
			[2, 'p-1', 'a prompt object'],
			[3, 3, 'a chat'],
			[4, 'b-1', 'a batch line'],
			[5, 'b-2', 'a responses line'],
		],
	);
	const bodies = new Map(server.requests.map((r) => [r.prompt, r]));
	assert.deepEqual(bodies.get('a chat')?.body.messages, [
		{ role: 'system', content: 'be terse' },
		{ role: 'user', content: 'a chat' },
	]);
	// Batch API bodies go out exactly as written, to the endpoint their url names.
	assert.deepEqual(bodies.get('a batch line')?.body, {
		model: 'gpt-batch',
		messages: [{ role: 'user', content: 'a batch line' }],
		max_tokens: 7,
	});
	assert.equal(bodies.get('a batch line')?.path, '/chat/completions');
	assert.deepEqual(bodies.get('a responses line')?.body, {
		model: 'gpt-resp',
		input: 'a responses line',
	});
	assert.equal(bodies.get('a responses line')?.path, '/responses');
	assert.deepEqual(records[2]?.input, [
		{ role: 'system', content: 'be terse' },
		{ role: 'user', content: 'a chat' },
	]);
});

test('template fields and the system prompt reach the server as written (Chat Completions)', async () => {
	const server = await mockServer();
	const dir = withFiles({
		'rows.jsonl': '{"text": "I love it", "n": 2}\n{"text": "meh", "n": {"k": 1}}\n',
	});
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'-q',
			'-m',
			'gpt-x',
			'-s',
			'You classify sentiment.',
			'-t',
			'Classify ({{ n }}): {{text}}',
			'--temperature',
			'0.2',
			'--max-tokens',
			'5',
			'--json',
			'-p',
			'seed=42',
			'-p',
			'metadata.run=nightly',
			'rows.jsonl',
		],
		{ cwd: dir },
	);
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(server.requests[0]?.body, {
		model: 'gpt-x',
		messages: [
			{ role: 'system', content: 'You classify sentiment.' },
			{ role: 'user', content: 'Classify (2): I love it' },
		],
		max_completion_tokens: 5,
		// A server that isn't OpenAI's may read only max_tokens.
		max_tokens: 5,
		response_format: { type: 'json_object' },
		temperature: 0.2,
		stream: false,
		seed: 42,
		metadata: { run: 'nightly' },
	});
	assert.equal(
		(server.requests[1]?.body.messages as { content: string }[] | undefined)?.[1]?.content,
		'Classify ({"k":1}): meh',
	);
	assert.equal(server.requests[0]?.headers.authorization?.startsWith('Bearer sk-test-'), true);
});

test('the Responses API takes the system prompt as instructions and the prompt as input', async () => {
	const server = await mockServer();
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'-q',
			'--api',
			'responses',
			'-s',
			'Be brief.',
			'-t',
			'Q: {{input}}',
			'--max-tokens',
			'9',
			'-f',
			'jsonl',
		],
		{ input: 'what is up\n' },
	);
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests[0]?.path, '/responses');
	assert.deepEqual(server.requests[0]?.body, {
		model: 'gpt-4o-mini',
		input: 'Q: what is up',
		instructions: 'Be brief.',
		max_output_tokens: 9,
		stream: false,
	});
	const [record] = jsonLines(result.stdout);
	assert.equal(record?.response, 'Q: what is up');
	assert.equal(record?.finish_reason, 'stop');
	assert.deepEqual(record?.usage, { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
});

test('bad input is refused with file:line before any request is sent', async () => {
	const server = await mockServer();
	const cases: [string, string, RegExp][] = [
		[
			'bad.jsonl',
			'"ok"\n"ok too"\n{"prompt": "x",}\n',
			/^promptbatch: bad\.jsonl:3: invalid JSON: .*\(each line of a JSONL file/,
		],
		[
			'shape.jsonl',
			'"ok"\n[1, 2]\n',
			/^promptbatch: shape\.jsonl:2: expected a JSON string or object, got an array/,
		],
		[
			'fields.jsonl',
			'{"text": "no template"}\n',
			/^promptbatch: fields\.jsonl:1: a JSON object without "prompt" or "messages" \(pass --template/,
		],
		[
			'dup.jsonl',
			'{"id": 1, "prompt": "a"}\n\n{"id": 1, "prompt": "b"}\n',
			/^promptbatch: dup\.jsonl:3: duplicate id 1 \(first at dup\.jsonl:1\)/,
		],
		[
			'chat.jsonl',
			'{"messages": [{"content": "no role"}]}\n',
			/^promptbatch: chat\.jsonl:1: messages\[0\] needs a string "role"/,
		],
		[
			'batch.jsonl',
			'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\n',
			/^promptbatch: batch\.jsonl:1: unsupported "url" "\/v1\/embeddings" \(use one of/,
		],
	];
	for (const [name, content, expected] of cases) {
		// The bad file comes second: the good one before it must not be sent either.
		const dir = withFiles({ 'good.txt': prompts(5), [name]: content });
		const result = await runCli(['--base-url', server.url, 'good.txt', name], { cwd: dir });
		assert.equal(result.code, 2, `${name}: ${result.stderr}`);
		assert.match(result.stderr, expected);
		assert.equal(result.stderr.trim().split('\n').length, 1, `one line for ${name}`);
		assert.equal(result.stdout, '');
	}
	const missing = await runCli(['--base-url', server.url, 'nope.txt']);
	assert.equal(missing.code, 2);
	assert.match(missing.stderr, /^promptbatch: cannot read nope\.txt: no such file/);
	assert.equal(server.requests.length, 0);
});

test('bad input on stdin stops the run at that line with exit 2, after the records before it', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '--input-format', 'jsonl', '-q'], {
		input: '"a"\n"b"\nnot json\n"c"\n',
	});
	assert.equal(result.code, 2);
	assert.match(result.stderr, /^promptbatch: -:3: invalid JSON/m);
	assert.equal(result.stdout, '[1] a\n[2] b\n');
	assert.deepEqual(server.requests.map((r) => r.prompt).sort(), ['a', 'b']);
});

test('--dry-run prints the request bodies and sends nothing, with no key needed', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '--dry-run', '-s', 'sys', '-m', 'm1'], {
		input: 'one\ntwo\n',
		env: { OPENAI_API_KEY: undefined },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(jsonLines(result.stdout), [
		{
			model: 'm1',
			messages: [
				{ role: 'system', content: 'sys' },
				{ role: 'user', content: 'one' },
			],
			stream: false,
		},
		{
			model: 'm1',
			messages: [
				{ role: 'system', content: 'sys' },
				{ role: 'user', content: 'two' },
			],
			stream: false,
		},
	]);
	assert.equal(server.requests.length, 0);
});
