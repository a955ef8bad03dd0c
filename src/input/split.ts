import { StringDecoder } from 'node:string_decoder';

/** One raw input item and the line it starts on (1-based), before any parsing. */
export interface RawItem {
	readonly text: string;
	readonly line: number;
}

export type Separator = '\n' | '\0';

/**
 * Splits a byte stream into items on `separator`, streaming: memory holds one partial item,
 * not the file. Items that are empty or only white space are skipped (an empty prompt is no
 * request), but still count towards line numbers so `file:line` always points at the source.
 */
export async function* splitItems(
	chunks: AsyncIterable<Buffer | string>,
	separator: Separator,
): AsyncGenerator<RawItem> {
	const decoder = new StringDecoder('utf8');
	let pending = '';
	let line = 1;

	function* drain(text: string, final: boolean): Generator<RawItem> {
		let start = 0;
		for (let end = text.indexOf(separator); end !== -1; end = text.indexOf(separator, start)) {
			yield* emit(text.slice(start, end));
			start = end + 1;
		}
		pending = text.slice(start);
		if (final && pending !== '') {
			yield* emit(pending);
			pending = '';
		}
	}

	function* emit(item: string): Generator<RawItem> {
		const itemLine = line;
		line += countNewlines(item) + (separator === '\n' ? 1 : 0);
		const text = separator === '\n' && item.endsWith('\r') ? item.slice(0, -1) : item;
		if (text.trim() !== '') yield { text, line: itemLine };
	}

	let start = true;
	for await (const chunk of chunks) {
		let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
		// Editors on Windows begin UTF-8 files with a byte order mark; it is no part of a prompt.
		if (start && text !== '') {
			if (text.startsWith('\uFEFF')) text = text.slice(1);
			start = false;
		}
		yield* drain(pending + text, false);
	}
	yield* drain(pending + decoder.end(), true);
}

function countNewlines(text: string): number {
	let count = 0;
	for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
	return count;
}
