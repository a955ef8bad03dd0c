import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonLines, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('json: one array of any record kind, chats as bare message arrays; errors name the element', async () => {
	const server = await mockServer();
	const array = `[
  "a string",
  {"id": "p", "prompt": "a prompt object"},
  [{"role": "system", "content": "terse"}, {"role": "user", "content": "a message array"}],
  {"messages": [{"role": "user", "content": "a chat object"}]}
]\n`;
	const dir = withFiles({ 'in.json': array, 'bad.json': '[\n  "fine",\n  {"prompt": 5}\n]\n' });
	const ok = await runCli(['--base-url', server.url, '-q', '-f', 'jsonl', 'in.json'], { cwd: dir });
	assert.equal(ok.code, 0, ok.stderr);
	assert.deepEqual(
		jsonLines(ok.stdout).map((r) => [r.id, r.line, r.response]),
		[
			[1, 2, 'a string'],
			['p', 3, 'a prompt object'],
			[3, 4, 'a message array'],
			[4, 5, 'a chat object'],
		],
	);
	const bad = await runCli(['--base-url', server.url, 'bad.json'], { cwd: dir });
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /^promptbatch: bad\.json:3: \[1\]: "prompt" must be a string, got 5/);
	const notArray = await runCli(['--base-url', server.url, '-q', '--input-format', 'json'], {
		input: '{"prompt": "x"}\n',
	});
	assert.equal(notArray.code, 2);
	assert.match(notArray.stderr, /^promptbatch: -:1: expected a JSON array/);
	assert.equal(server.requests.length, 4);
});

test('csv and tsv: a header row names the fields; quotes, embedded newlines, a BOM; errors at file:line', async () => {
	const server = await mockServer();
	const dir = withFiles({
		'rows.csv': '\uFEFFid,text,lang\n1,"Hello, ""world""",en\n\n2,"two\nlines",fr\n',
		'rows.tsv': 'text\tlang\nhallo\tde\n',
		'bad.csv': 'id,text,lang\n1,fine,en\n2,"unclosed,de\n',
		'prompts.csv': 'prompt,note\nwhat is 2+2?,ignored\n',
	});
	const args = ['--base-url', server.url, '-q', '-f', 'jsonl', '-t', '[{{lang}}] {{text}}'];
	const csv = await runCli([...args, 'rows.csv', 'rows.tsv'], { cwd: dir });
	assert.equal(csv.code, 0, csv.stderr);
	assert.deepEqual(
		jsonLines(csv.stdout).map((r) => [r.id, r.file, r.line, r.response]),
		[
			['1', 'rows.csv', 2, '[en] Hello, "world"'],
			['2', 'rows.csv', 4, '[fr] two\nlines'],
			[3, 'rows.tsv', 2, '[de] hallo'],
		],
	);
	const prompt = await runCli(['--base-url', server.url, '-q', 'prompts.csv'], { cwd: dir });
	assert.equal(prompt.stdout, '[1] what is 2+2?\n');
	const bad = await runCli([...args, 'bad.csv'], { cwd: dir });
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /^promptbatch: bad\.csv:\d+: .*quote/i);
	assert.equal(server.requests.length, 4, 'nothing of bad.csv was sent');
});

test('-s @FILE and -t @FILE read the system prompt and the template from files', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'system.txt': 'Be brief.\n', 'template.txt': 'Q: {{input}}\n\n' });
	const result = await runCli(
		['--base-url', server.url, '-q', '-s', '@system.txt', '-t', '@template.txt'],
		{ cwd: dir, input: 'why?\n' },
	);
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(server.requests[0]?.body.messages, [
		{ role: 'system', content: 'Be brief.' },
		{ role: 'user', content: 'Q: why?' },
	]);
	const missing = await runCli(['--base-url', server.url, '-t', '@nope.txt'], {
		cwd: dir,
		input: 'x\n',
	});
	assert.equal(missing.code, 2);
	assert.match(missing.stderr, /cannot read nope\.txt: no such file/);
});

test('ids above 2^53 come out exactly as written and are never taken for duplicates', async () => {
	const server = await mockServer();
	const input =
		'{"id": 12345678901234567890, "prompt": "a"}\n{"id": 12345678901234567891, "prompt": "b"}\n{"id": 7, "prompt": "c"}\n';
	const result = await runCli(
		['--base-url', server.url, '-q', '-f', 'jsonl', '--input-format', 'jsonl'],
		{
			input,
		},
	);
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(
		result.stdout
			.split('\n')
			.filter(Boolean)
			.map((line) => /"id":([^,]+),/.exec(line)?.[1]),
		['12345678901234567890', '12345678901234567891', '7'],
	);
});

test('a chat with assistant tool calls and tool results is a valid chat', async () => {
	const server = await mockServer();
	const chat = {
		messages: [
			{ role: 'user', content: 'weather in Paris?' },
			{
				role: 'assistant',
				tool_calls: [
					{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } },
				],
			},
			{ role: 'tool', tool_call_id: 'call_1', content: '18C' },
			{ role: 'user', content: 'so?' },
		],
	};
	const result = await runCli(['--base-url', server.url, '-q', '--input-format', 'jsonl'], {
		input: `${JSON.stringify(chat)}\n`,
	});
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(server.requests[0]?.body.messages, chat.messages);
});

test('zero prompts: one warning line on stderr, exit 0; nothing with -q', async () => {
	const dir = withFiles({});
	writeFileSync(join(dir, 'empty.txt'), '\n\n');
	const loud = await runCli(['--mock', 'empty.txt'], {
		cwd: dir,
		env: { OPENAI_API_KEY: undefined },
	});
	assert.equal(loud.code, 0);
	assert.equal(loud.stdout, '');
	assert.equal(loud.stderr.match(/warning: no prompts in the input/g)?.length, 1, loud.stderr);
	const quiet = await runCli(['--mock', '-q'], { input: '', env: { OPENAI_API_KEY: undefined } });
	assert.equal(quiet.code, 0);
	assert.equal(quiet.stderr, '');
	const dry = await runCli(['--dry-run'], { input: '' });
	assert.match(dry.stderr, /warning: no prompts in the input/);
});
