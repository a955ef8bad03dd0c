import { InputError } from '../core/errors.ts';
import type { ChatMessage, InputFormat, Payload } from '../core/types.ts';
import type { RawItem } from './split.ts';

/** Parses one raw item of a source; throws InputError naming file and line. */
export function parseRecord(
	item: RawItem,
	format: InputFormat,
	file: string,
): { id: string | number | undefined; payload: Payload } {
	if (format !== 'jsonl') {
		return { id: undefined, payload: { kind: 'prompt', prompt: item.text, fields: {} } };
	}
	const fail = (problem: string, hint?: string): never => {
		throw new InputError(file, item.line, problem, hint);
	};
	let value: unknown;
	try {
		value = JSON.parse(item.text);
	} catch (error) {
		return fail(
			`invalid JSON: ${(error as Error).message}`,
			'each line of a JSONL file must be one complete JSON value; use --input-format lines for plain text',
		);
	}
	if (typeof value === 'string')
		return { id: undefined, payload: { kind: 'prompt', prompt: value, fields: {} } };
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return fail(
			`expected a JSON string or object, got ${Array.isArray(value) ? 'an array' : String(value)}`,
			'write a prompt as "text" or {"prompt": "text"}',
		);
	}
	const record = value as Record<string, unknown>;
	const id = record.id ?? record.custom_id;
	if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
		fail(`"id" must be a string or a number, got ${JSON.stringify(id)}`);
	}
	const ownId = id as string | number | undefined;

	if ('body' in record && 'url' in record) return { id: ownId, payload: batchLine(record, fail) };
	if ('messages' in record) return { id: ownId, payload: chat(record.messages, fail) };
	if ('prompt' in record) {
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

function batchLine(
	record: Record<string, unknown>,
	fail: (p: string, h?: string) => never,
): Payload {
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

function chat(messages: unknown, fail: (p: string, h?: string) => never): Payload {
	if (!Array.isArray(messages) || messages.length === 0) {
		fail('"messages" must be a non-empty array', 'write [{"role": "user", "content": "..."}]');
	}
	(messages as unknown[]).forEach((message, i) => {
		const m = message as Record<string, unknown> | null;
		if (m === null || typeof m !== 'object' || typeof m.role !== 'string' || !('content' in m)) {
			fail(
				`messages[${i}] needs a string "role" and a "content"`,
				'write {"role": "user", "content": "..."}',
			);
		}
	});
	return { kind: 'messages', messages: messages as ChatMessage[] };
}
