import { InputError } from '../core/errors.ts';
import type { ChatMessage, ExactNumber, Payload, RecordId } from '../core/types.ts';
import { exactId, parseJson } from './json-value.ts';
import type { RawItem } from './split.ts';

/** Throws an InputError at the record being parsed. */
export type Fail = (problem: string, hint?: string) => never;

/** Parses one item of a line-based source (lines, nul, jsonl); throws InputError naming file and line. */
export function parseRecord(
	item: RawItem,
	format: 'lines' | 'nul' | 'jsonl',
	file: string,
): { id: RecordId | undefined; payload: Payload } {
	const fail: Fail = (problem, hint) => {
		throw new InputError(file, item.line, problem, hint);
	};
	if (format !== 'jsonl') {
		if (format === 'lines' && item.text.includes('\0')) {
			fail(
				'contains a NUL byte',
				'UTF-16 text, as Windows PowerShell writes it, is full of them: convert it with iconv -f UTF-16 -t UTF-8; for NUL-separated prompts use --input-format nul',
			);
		}
		return { id: undefined, payload: { kind: 'prompt', prompt: item.text, fields: {} } };
	}
	const parsed = parseJson(item.text);
	if ('problem' in parsed) {
		return fail(
			parsed.problem,
			'each line of a JSONL file must be one complete JSON value; use --input-format lines for plain text',
		);
	}
	return recordOf(parsed.value, item.text, fail);
}

/**
 * A parsed JSON value as a record: a prompt string, an object (a prompt, template fields, a
 * chat or a Batch API request line) or, with `chatArrays` (the json format), an array of chat
 * messages. `text` is the value's source, for ids that a double would change.
 */
export function recordOf(
	value: unknown,
	text: string,
	fail: Fail,
	chatArrays = false,
): { id: RecordId | undefined; payload: Payload } {
	if (typeof value === 'string')
		return { id: undefined, payload: { kind: 'prompt', prompt: value, fields: {} } };
	if (chatArrays && Array.isArray(value)) return { id: undefined, payload: chat(value, fail) };
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return fail(
			`expected a JSON string or object, got ${Array.isArray(value) ? 'an array' : String(value)}`,
			chatArrays
				? 'write a prompt as "text", {"prompt": "text"} or [{"role": "user", "content": "text"}]'
				: 'write a prompt as "text" or {"prompt": "text"}',
		);
	}
	const record = value as Record<string, unknown>;
	const key = record.id === undefined || record.id === null ? 'custom_id' : 'id';
	const id = exactId(text, record, key) ?? undefined;
	if (id !== undefined && typeof id !== 'string' && typeof id !== 'number' && !isExact(id)) {
		fail(`"id" must be a string or a number, got ${JSON.stringify(id)}`);
	}
	const ownId = id as RecordId | undefined;
	const has = (field: string) => Object.hasOwn(record, field);

	if (has('body') && has('url')) return { id: ownId, payload: batchLine(record, fail) };
	if (has('messages')) return { id: ownId, payload: chat(record.messages, fail) };
	if (has('prompt')) {
		if (typeof record.prompt !== 'string') {
			fail(`"prompt" must be a string, got ${JSON.stringify(record.prompt)}`);
		}
		return {
			id: ownId,
			payload: { kind: 'prompt', prompt: record.prompt as string, fields: record },
		};
	}
	return { id: ownId, payload: { kind: 'fields', fields: record } };
}

function isExact(id: unknown): id is ExactNumber {
	return typeof (id as ExactNumber | null)?.rawJSON === 'string';
}

function batchLine(record: Record<string, unknown>, fail: Fail): Payload {
	const { custom_id, method, url, body } = record;
	if (typeof custom_id !== 'string' || custom_id === '') {
		fail('a Batch API request line needs a non-empty string "custom_id"');
	}
	if (method !== 'POST')
		fail(`a Batch API request line needs "method": "POST", got ${JSON.stringify(method)}`);
	// Which endpoints we can send to is the request builder's to say.
	if (typeof url !== 'string') fail('a Batch API request line needs a string "url"');
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		fail('a Batch API request line needs "body" to be a JSON object');
	}
	return { kind: 'batch', url: url as string, body: body as Record<string, unknown> };
}

function chat(messages: unknown, fail: Fail): Payload {
	if (!Array.isArray(messages) || messages.length === 0) {
		fail('"messages" must be a non-empty array', 'write [{"role": "user", "content": "..."}]');
	}
	(messages as unknown[]).forEach((message, i) => {
		const m = message as Record<string, unknown> | null;
		// An assistant turn that called tools may have no content; every other turn has some.
		const calls =
			m?.role === 'assistant' &&
			(Object.hasOwn(m, 'tool_calls') || Object.hasOwn(m, 'function_call'));
		if (
			m === null ||
			typeof m !== 'object' ||
			typeof m.role !== 'string' ||
			!(calls || Object.hasOwn(m, 'content'))
		) {
			fail(
				`messages[${i}] needs a string "role" and a "content"`,
				'write {"role": "user", "content": "..."}',
			);
		}
	});
	return { kind: 'messages', messages: messages as ChatMessage[] };
}
