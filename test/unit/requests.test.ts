import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.ts';
import type { RequestOptions } from '../../src/core/options.ts';
import type { Payload, PromptRecord } from '../../src/core/types.ts';
import { MalformedResponseError, parseCompletion } from '../../src/http/response.ts';
import { requestBuilder } from '../../src/requests/build.ts';
import { compileTemplate, renderTemplate } from '../../src/requests/template.ts';
import { estimateTokens } from '../../src/requests/tokens.ts';

const record = (payload: Payload): PromptRecord => ({
	index: 1,
	file: 'f',
	line: 3,
	id: undefined,
	payload,
});
const prompt = (text: string, fields = {}): PromptRecord =>
	record({ kind: 'prompt', prompt: text, fields });
const base: RequestOptions = { api: 'chat', model: 'm' };

test('templates: placeholders with or without spaces, values that are not strings as JSON, missing fields named', () => {
	const template = compileTemplate('A {{ x }} and {{y}} {{x}}.');
	assert.deepEqual(
		renderTemplate(template, (f) => ({ x: 'one', y: [1] })[f]),
		{ text: 'A one and [1] one.' },
	);
	assert.deepEqual(
		renderTemplate(template, (f) => ({ x: 'one' })[f]),
		{ missing: 'y' },
	);
	assert.deepEqual(
		renderTemplate(compileTemplate('no placeholders, {single}'), () => undefined),
		{ text: 'no placeholders, {single}' },
	);
});

test('request shaping, Chat Completions: system first, template, max tokens as max_completion_tokens, params last', () => {
	const build = requestBuilder({
		...base,
		system: 'sys',
		template: 'Q: {{input}} ({{lang}})',
		temperature: 0,
		maxTokens: 10,
		json: true,
		params: { temperature: 1, metadata: { a: '1' } },
	});
	const request = build(prompt('hi', { lang: 'en' }));
	assert.equal(request.path, '/chat/completions');
	assert.equal(request.input, 'Q: hi (en)');
	assert.deepEqual(request.body, {
		model: 'm',
		messages: [
			{ role: 'system', content: 'sys' },
			{ role: 'user', content: 'Q: hi (en)' },
		],
		max_completion_tokens: 10,
		response_format: { type: 'json_object' },
		temperature: 1,
		stream: false,
		metadata: { a: '1' },
	});
});

test('--max-tokens goes as max_completion_tokens to OpenAI and Azure, and also as max_tokens elsewhere', () => {
	const table: [string, string[]][] = [
		['https://api.openai.com/v1', ['max_completion_tokens']],
		['https://my-resource.openai.azure.com/openai/v1', ['max_completion_tokens']],
		['https://my-project.services.ai.azure.com/openai/v1', ['max_completion_tokens']],
		['http://localhost:11434/v1', ['max_completion_tokens', 'max_tokens']],
		['http://127.0.0.1:8000/v1', ['max_completion_tokens', 'max_tokens']],
		['https://openrouter.ai/api/v1', ['max_completion_tokens', 'max_tokens']],
		['https://api.openai.com.example.net/v1', ['max_completion_tokens', 'max_tokens']],
	];
	for (const [baseUrl, fields] of table) {
		const body = requestBuilder({ ...base, baseUrl, maxTokens: 8 })(prompt('hi')).body;
		const sent = Object.keys(body).filter((key) => key.startsWith('max_'));
		assert.deepEqual(sent, fields, baseUrl);
		for (const field of fields) assert.equal(body[field], 8, `${baseUrl} ${field}`);
	}
});

test('request shaping, Responses API: instructions, input, max_output_tokens, text.format', () => {
	const request = requestBuilder({
		...base,
		api: 'responses',
		system: 'sys',
		maxTokens: 5,
		json: true,
	})(prompt('hi'));
	assert.equal(request.path, '/responses');
	assert.deepEqual(request.body, {
		model: 'm',
		input: 'hi',
		instructions: 'sys',
		max_output_tokens: 5,
		text: { format: { type: 'json_object' } },
		stream: false,
	});
});

test('chat records keep their own system message; --system only fills in where there is none', () => {
	const build = requestBuilder({ ...base, system: 'default' });
	const own = build(
		record({
			kind: 'messages',
			messages: [
				{ role: 'developer', content: 'mine' },
				{ role: 'user', content: 'x' },
			],
		}),
	);
	assert.deepEqual((own.body.messages as unknown[]).length, 2);
	const none = build(record({ kind: 'messages', messages: [{ role: 'user', content: 'x' }] }));
	assert.deepEqual(none.body.messages, [
		{ role: 'system', content: 'default' },
		{ role: 'user', content: 'x' },
	]);
});

test('Batch API lines are sent as written, whatever the options say', () => {
	const body = { model: 'own', messages: [{ role: 'user', content: 'x' }] };
	const request = requestBuilder({ ...base, system: 'ignored', maxTokens: 3 })(
		record({ kind: 'batch', url: '/v1/chat/completions', body }),
	);
	assert.equal(request.body, body);
	assert.equal(request.api, 'chat');
});

test('a record the template cannot fill is an InputError at its file and line', () => {
	const build = requestBuilder({ ...base, template: '{{input}} {{missing}}' });
	assert.throws(
		() => build(prompt('x')),
		(e: unknown) =>
			e instanceof InputError &&
			e.message === 'f:3: record has no field "missing", which the template uses',
	);
	const fields = requestBuilder(base);
	assert.throws(
		() => fields(record({ kind: 'fields', fields: { a: 1 } })),
		/f:3: a JSON object without "prompt" or "messages"/,
	);
	const input = requestBuilder({ ...base, template: '{{input}}' });
	assert.throws(
		() => input(record({ kind: 'fields', fields: { a: 1 } })),
		/record has no "prompt" for \{\{input\}\}/,
	);
});

test('estimateTokens: about 4 characters a token, message framing, plus the maximum output', () => {
	assert.equal(
		estimateTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }] }),
		100 + 3 + 4,
	);
	assert.equal(
		estimateTokens({
			messages: [{ role: 'user', content: 'abcd' }],
			max_completion_tokens: 50,
			n: 2,
		}),
		1 + 7 + 100,
	);
	assert.equal(
		estimateTokens({ input: 'x'.repeat(40), instructions: 'y'.repeat(40), max_output_tokens: 10 }),
		20 + 3 + 10,
	);
	assert.equal(
		estimateTokens({ messages: [{ role: 'user', content: [{ type: 'text', text: 'abcdefgh' }] }] }),
		2 + 7,
	);
});

test('parseCompletion: text, usage in one shape, finish reason, for both APIs', () => {
	assert.deepEqual(
		parseCompletion('chat', {
			model: 'g',
			choices: [{ message: { content: 'hi' }, finish_reason: 'length' }],
			usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
		}),
		{
			text: 'hi',
			model: 'g',
			usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
			finishReason: 'length',
		},
	);
	assert.equal(
		parseCompletion('chat', { choices: [{ message: { content: null, refusal: 'no' } }] }).text,
		'no',
	);
	assert.deepEqual(
		parseCompletion('responses', {
			status: 'incomplete',
			incomplete_details: { reason: 'max_output_tokens' },
			output: [
				{ type: 'reasoning' },
				{
					type: 'message',
					content: [
						{ type: 'output_text', text: 'a' },
						{ type: 'output_text', text: 'b' },
					],
				},
			],
			usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
		}),
		{
			text: 'ab',
			model: null,
			usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
			finishReason: 'length',
		},
	);
	for (const bad of ['<html>oops</html>', null, [], { choices: 'no' }]) {
		assert.throws(() => parseCompletion('chat', bad), MalformedResponseError, JSON.stringify(bad));
	}
	assert.throws(() => parseCompletion('responses', { id: 'x' }), MalformedResponseError);
});
