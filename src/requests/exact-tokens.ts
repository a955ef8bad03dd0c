/**
 * Input tokens counted as OpenAI counts them, with gpt-tokenizer (exact against tiktoken),
 * for estimates, budgets and context checks. Pacing keeps the cheap estimate of tokens.ts:
 * OpenAI's limiter itself counts from characters. The tokenizer costs about 0.3 s to load, so
 * it is imported only by runs that need exact counts.
 */

/** Each chat message costs its content and role plus 3 framing tokens; the reply is primed with 3. */
const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;

/**
 * Byte-pair encoding is quadratic in the length of a word, and 100,000 identical characters take
 * seconds (a 30 MB line, minutes). So text is counted in pieces: cut where a word, or a run of one
 * character, reaches LONGEST_WORD, and at white space every PIECE characters. A cut inside a word
 * can only count a few tokens more, never fewer, so budgets stay safe; ordinary text is exact.
 */
const LONGEST_WORD = 1024;
const PIECE = 65_536;

type Encoder = (text: string) => number;

/**
 * Counts input tokens per model, loading each encoding the first time a model needs it
 * (o200k_base for a model gpt-tokenizer doesn't know, as for every current OpenAI model).
 */
export class TokenCounter {
	readonly #byModel: Readonly<Record<string, string>>;
	readonly #encoders = new Map<string, Encoder>();

	private constructor(byModel: Readonly<Record<string, string>>) {
		this.#byModel = byModel;
	}

	static async load(): Promise<TokenCounter> {
		const { modelToEncodingMap } = await import('gpt-tokenizer/mapping');
		return new TokenCounter(modelToEncodingMap as Readonly<Record<string, string>>);
	}

	/** Loads what `count` needs for `model`; call it before counting for a model. */
	async prepare(model: string): Promise<void> {
		const encoding = this.#encodingOf(model);
		if (this.#encoders.has(encoding)) return;
		const api = await import(`gpt-tokenizer/encoding/${encoding}`);
		// A prompt may contain "<|endoftext|>" as text: count it as text, never refuse it.
		const options = { disallowedSpecial: new Set<string>() };
		this.#encoders.set(encoding, (text) => api.countTokens(text, options));
	}

	/** The input tokens of a Chat Completions or Responses body, as the model counts them. */
	count(body: Readonly<Record<string, unknown>>, model: string): number {
		const encode = this.#encoders.get(this.#encodingOf(model));
		if (!encode) throw new Error(`TokenCounter.prepare("${model}") was not awaited`);
		return countBody(body, (text) => countGuarded(text, encode));
	}

	#encodingOf(model: string): string {
		return (Object.hasOwn(this.#byModel, model) ? this.#byModel[model] : undefined) ?? 'o200k_base';
	}
}

/** Tokens of a Chat Completions or Responses body: messages or input, and instructions. */
export function countBody(body: Readonly<Record<string, unknown>>, count: Encoder): number {
	const messages: unknown[] = [];
	if (typeof body.instructions === 'string')
		messages.push({ role: 'system', content: body.instructions });
	const input = body.messages ?? body.input;
	if (typeof input === 'string') messages.push({ role: 'user', content: input });
	else if (Array.isArray(input)) messages.push(...input);
	let total = REPLY_PRIMING;
	for (const message of messages) {
		const { role, content, name } = message as {
			role?: unknown;
			content?: unknown;
			name?: unknown;
		};
		total += PER_MESSAGE + count(typeof role === 'string' ? role : 'user') + count(text(content));
		if (typeof name === 'string') total += PER_NAME + count(name);
	}
	return total;
}

/** The text of a message's content: a string, or the text parts of an array. */
function text(content: unknown): string {
	if (typeof content === 'string') return content;
	if (!Array.isArray(content)) return '';
	return content
		.map((part) =>
			typeof part === 'string' ? part : String((part as { text?: unknown })?.text ?? ''),
		)
		.join('');
}

function countGuarded(value: string, encode: Encoder): number {
	if (value.length <= LONGEST_WORD) return encode(value);
	let total = 0;
	let start = 0;
	let word = 0;
	let same = 0;
	for (let at = 0; at < value.length; at++) {
		const code = value.charCodeAt(at);
		const space = code === 32 || code === 10 || code === 9 || code === 13;
		same = at > 0 && code === value.charCodeAt(at - 1) ? same + 1 : 1;
		word = space ? 0 : word + 1;
		// Never between the halves of a surrogate pair.
		const splittable = code < 0xdc00 || code > 0xdfff;
		const cut =
			splittable && (word > LONGEST_WORD || same > LONGEST_WORD || (space && at - start >= PIECE));
		if (cut && at > start) {
			total += encode(value.slice(start, at));
			start = at;
			word = space ? 0 : 1;
			same = 1;
		}
	}
	return total + encode(value.slice(start));
}
