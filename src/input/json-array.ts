import { InputError } from '../core/errors.ts';
import { decodeUtf8 } from './decode.ts';
import { parseJson } from './json-value.ts';
import { type Fail, recordOf } from './records.ts';
import type { SourceRecord } from './source-record.ts';

const HINT =
	'a .json input is one JSON array of prompts: ["text", {"prompt": "text"}, [{"role": "user", "content": "text"}]]';

/**
 * The `json` format: one JSON array whose elements are any JSONL record, or an array of chat
 * messages. The file is read whole (an array can't be parsed piecemeal), then cut into its
 * elements by a linear scan, so that each element is parsed, and its errors reported, on its
 * own: `file:line: [3]: ...`.
 */
export async function* jsonArrayRecords(
	chunks: AsyncIterable<Buffer | Uint8Array>,
	file: string,
): AsyncGenerator<SourceRecord> {
	const parts: string[] = [];
	for await (const text of decodeUtf8(chunks, file)) parts.push(text);
	const text = parts.join('');
	let line = 1;
	let counted = 0;
	const lineAt = (offset: number) => {
		for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1))
			line++;
		counted = Math.max(counted, offset);
		return line;
	};
	const failAt =
		(offset: number, prefix = ''): Fail =>
		(problem, hint) => {
			throw new InputError(file, lineAt(offset), `${prefix}${problem}`, hint);
		};

	let at = skipSpace(text, 0);
	if (text[at] !== '[') {
		if (at === text.length) return;
		failAt(at)(`expected a JSON array, got ${JSON.stringify(text.slice(at, at + 20))}`, HINT);
	}
	at = skipSpace(text, at + 1);
	for (let index = 0; text[at] !== ']'; index++) {
		if (at >= text.length) failAt(at)('the array is not closed: the file ends inside it', HINT);
		const end = valueEnd(text, at);
		const element = text.slice(at, end);
		const fail = failAt(at, `[${index}]: `);
		const parsed = parseJson(element);
		if ('problem' in parsed) fail(parsed.problem, HINT);
		else yield { line: lineAt(at), ...recordOf(parsed.value, element, fail, true) };
		at = skipSpace(text, end);
		if (text[at] === ',') at = skipSpace(text, at + 1);
		else if (text[at] !== ']') failAt(at)(`expected , or ] after element [${index}]`, HINT);
	}
	at = skipSpace(text, at + 1);
	if (at < text.length) failAt(at)('text after the closing ]', HINT);
}

function skipSpace(text: string, from: number): number {
	let i = from;
	while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
	return i;
}

/** Where the JSON value starting at `from` ends; JSON.parse judges whether it is valid. */
function valueEnd(text: string, from: number): number {
	let depth = 0;
	let inString = false;
	for (let i = from; i < text.length; i++) {
		const c = text[i];
		if (inString) {
			if (c === '\\') i++;
			else if (c === '"') {
				inString = false;
				if (depth === 0) return i + 1;
			}
		} else if (c === '"') inString = true;
		else if (c === '[' || c === '{') depth++;
		else if (c === ']' || c === '}') {
			if (depth === 0) return i;
			if (--depth === 0) return i + 1;
		} else if (depth === 0 && (c === ',' || ' \t\r\n'.includes(c as string))) return i;
	}
	return text.length;
}
