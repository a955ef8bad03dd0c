import type { ExactNumber } from '../core/types.ts';

/**
 * Deeper than this is no prompt anyone writes, and past it the recursive work downstream
 * (hashing, token estimates, templates) would overflow the stack.
 */
export const MAX_DEPTH = 512;

/** `JSON.rawJSON` (Node 21+): an object that JSON.stringify writes as exactly the text given. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): ExactNumber }).rawJSON;

/** Parses one JSON text; returns what is wrong instead of throwing. */
export function parseJson(text: string): { value: unknown } | { problem: string } {
	const depth = nestingDepth(text);
	if (depth > MAX_DEPTH) return { problem: `JSON nested ${depth} deep (at most ${MAX_DEPTH})` };
	try {
		return { value: JSON.parse(text) };
	} catch (error) {
		return { problem: `invalid JSON: ${(error as Error).message}` };
	}
}

/**
 * A record's `id` (or `custom_id`) as written. A number past 2^53, or with a fraction, would
 * come out changed by a round trip through a double, so it is kept as its source text.
 */
export function exactId(
	text: string,
	record: Record<string, unknown>,
	key: 'id' | 'custom_id',
): unknown {
	const id = record[key];
	if (typeof id !== 'number' || Number.isSafeInteger(id)) return id;
	// The reviver sees every `id` in the record, nested ones too: keep the record's own.
	const sources = new Map<unknown, string>();
	const parsed: unknown = JSON.parse(
		text,
		function (this: unknown, name, value, context?: { source?: string }) {
			if (name === key && context?.source !== undefined) sources.set(this, context.source);
			return value;
		},
	);
	const source = sources.get(parsed);
	return source === undefined ? id : rawJSON(source);
}

/** The deepest nesting of arrays and objects, outside strings; linear, without recursion. */
function nestingDepth(text: string): number {
	// Nesting needs a bracket per level: a short text can't be deep.
	if (text.length <= MAX_DEPTH) return 0;
	let depth = 0;
	let deepest = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 0x5c) i++;
			else if (c === 0x22) inString = false;
		} else if (c === 0x22) inString = true;
		else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
		else if (c === 0x5d || c === 0x7d) depth--;
	}
	return deepest;
}
