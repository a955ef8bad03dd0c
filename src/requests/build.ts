import { InputError, UsageError } from '../core/errors.ts';
import { OPENAI_BASE_URL, type RequestOptions } from '../core/options.ts';
import type { ApiRequest, ChatMessage, PromptRecord } from '../core/types.ts';
import { API_PATHS, BATCH_URLS, outputCapFields } from './endpoints.ts';
import { compileTemplate, renderTemplate, type Template } from './template.ts';
import { estimateTokens } from './tokens.ts';

/**
 * Compiles the options once and returns the per-record builder. Throws UsageError for options
 * no request could succeed with, and the builder InputError for a record no request can be
 * made of, so that both are found before anything is paid for.
 */
export function requestBuilder(options: RequestOptions): (record: PromptRecord) => ApiRequest {
	const template = options.template === undefined ? undefined : compileTemplate(options.template);
	if (template !== undefined && !template.some((part) => typeof part !== 'string')) {
		throw new UsageError(
			'--template has no {{input}} and no {{field}}: every request would be the same',
			'put {{input}} where the prompt goes, or {{name}} for a field of a JSONL or CSV record',
		);
	}
	if (options.params?.stream === true) {
		throw new UsageError(
			'-p stream=true: promptbatch reads whole answers, and a streamed one would fail after being paid for',
			'leave stream out',
		);
	}
	return (record) => {
		const { payload } = record;
		if (payload.kind === 'batch') {
			const api = Object.hasOwn(BATCH_URLS, payload.url) ? BATCH_URLS[payload.url] : undefined;
			if (api === undefined) {
				throw new InputError(
					record.file,
					record.line,
					`unsupported "url" ${JSON.stringify(payload.url)}`,
					`use one of ${Object.keys(BATCH_URLS).join(', ')}`,
				);
			}
			const body = payload.body;
			if (body.stream === true) {
				throw new InputError(
					record.file,
					record.line,
					'"stream": true: promptbatch reads whole answers, and a streamed one would fail after being paid for',
					'remove "stream" from the body',
				);
			}
			const input = (body.messages ?? body.input ?? '') as ApiRequest['input'];
			// The line's own tier wins, as its own model does.
			const tiered =
				options.serviceTier === undefined || body.service_tier !== undefined
					? body
					: { ...body, service_tier: options.serviceTier };
			return {
				api,
				path: API_PATHS[api],
				body: tiered,
				input,
				estimatedTokens: estimateTokens(tiered),
			};
		}
		const input = payload.kind === 'messages' ? payload.messages : promptText(record, template);
		const body = shapeBody(options, input);
		return {
			api: options.api,
			path: API_PATHS[options.api],
			body,
			input,
			estimatedTokens: estimateTokens(body),
		};
	};
}

function promptText(record: PromptRecord, template: Template | undefined): string {
	const { payload } = record;
	if (payload.kind !== 'prompt' && payload.kind !== 'fields') throw new Error('unreachable');
	const prompt = payload.kind === 'prompt' ? payload.prompt : undefined;
	if (template === undefined) {
		if (prompt !== undefined) return prompt;
		throw new InputError(
			record.file,
			record.line,
			'a JSON object without "prompt" or "messages"',
			'pass --template to build the prompt from its fields, e.g. -t "Classify: {{text}}"',
		);
	}
	const rendered = renderTemplate(template, (field) =>
		// A record's own fields only: {{constructor}} is no field of {"text": "x"}.
		field === 'input'
			? prompt
			: Object.hasOwn(payload.fields, field)
				? payload.fields[field]
				: undefined,
	);
	if ('missing' in rendered) {
		const what =
			rendered.missing === 'input' ? 'no "prompt" for {{input}}' : `no field "${rendered.missing}"`;
		throw new InputError(
			record.file,
			record.line,
			`record has ${what}, which the template uses`,
			'add it to the record or change --template',
		);
	}
	return rendered.text;
}

function shapeBody(
	options: RequestOptions,
	input: string | readonly ChatMessage[],
): Record<string, unknown> {
	const body: Record<string, unknown> = { model: options.model };
	if (options.api === 'chat') {
		const messages: unknown[] =
			typeof input === 'string' ? [{ role: 'user', content: input }] : [...input];
		if (options.system !== undefined && !messages.some(isInstruction)) {
			messages.unshift({ role: 'system', content: options.system });
		}
		body.messages = messages;
		if (options.maxTokens !== undefined)
			for (const field of outputCapFields(options.baseUrl ?? OPENAI_BASE_URL))
				body[field] = options.maxTokens;
		if (options.json) body.response_format = { type: 'json_object' };
	} else {
		body.input = input;
		if (options.system !== undefined) body.instructions = options.system;
		if (options.maxTokens !== undefined) body.max_output_tokens = options.maxTokens;
		if (options.json) body.text = { format: { type: 'json_object' } };
	}
	if (options.temperature !== undefined) body.temperature = options.temperature;
	if (options.serviceTier !== undefined) body.service_tier = options.serviceTier;
	// Said, not left to the default: some servers (transformers serve) stream unless told not to.
	body.stream = false;
	return options.params ? mergeDeep(body, options.params) : body;
}

function isInstruction(message: unknown): boolean {
	const role = (message as ChatMessage).role;
	return role === 'system' || role === 'developer';
}

function mergeDeep(
	target: Record<string, unknown>,
	source: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
	for (const [key, value] of Object.entries(source)) {
		const current = target[key];
		target[key] =
			isPlainObject(current) && isPlainObject(value) ? mergeDeep({ ...current }, value) : value;
	}
	return target;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}
