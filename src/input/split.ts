import { decodeUtf8 } from './decode.ts';

/** One raw input item and the line it starts on (1-based), before any parsing. */
export interface RawItem {
	readonly text: string;
	readonly line: number;
}

export type Separator = '\n' | '\0';

/**
 * Splits a UTF-8 byte stream into items on `separator`, streaming: memory holds one partial
 * item, and each byte is looked at once, so a 50 MB line costs what 50 MB of short ones do.
 * Items that are empty or only white space are skipped (an empty prompt is no request), but
 * still count towards line numbers so `file:line` always points at the source.
 */
export async function* splitItems(
	chunks: AsyncIterable<Buffer | Uint8Array>,
	separator: Separator,
	file = '-',
): AsyncGenerator<RawItem> {
	let pending: string[] = [];
	let line = 1;

	function* emit(item: string): Generator<RawItem> {
		const itemLine = line;
		line += countNewlines(item) + (separator === '\n' ? 1 : 0);
		const text = separator === '\n' && item.endsWith('\r') ? item.slice(0, -1) : item;
		if (text.trim() !== '') yield { text, line: itemLine };
	}

	for await (const text of decodeUtf8(chunks, file)) {
		let start = 0;
		for (let end = text.indexOf(separator); end !== -1; end = text.indexOf(separator, start)) {
			const piece = text.slice(start, end);
			const item = pending.length === 0 ? piece : pending.join('') + piece;
			pending = [];
			yield* emit(item);
			start = end + 1;
		}
		if (start < text.length) pending.push(text.slice(start));
	}
	if (pending.length > 0) yield* emit(pending.join(''));
}

function countNewlines(text: string): number {
	let count = 0;
	for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
	return count;
}
