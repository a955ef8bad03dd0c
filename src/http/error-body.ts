/** An error as OpenAI's bodies put it: `{"error": {message, type, code, param}}`. */
export interface ErrorBody {
	readonly message: string;
	readonly type?: string | undefined;
	readonly code?: string | undefined;
	readonly param?: string | undefined;
}

/**
 * The error in a failed answer's body, whatever shape the server gave it: OpenAI's
 * `{"error": {...}}` (with a numeric `code`, as OpenRouter and vLLM send), FastAPI's
 * `{"detail": "..."}` or `{"detail": [{msg}]}` (transformers serve), older vLLM's top-level
 * `{"object": "error", "message": ...}`, Gemini's `[{"error": {...}}]`, or plain text.
 */
export function errorFromBody(text: string): ErrorBody {
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return { message: clip(text.trim() || 'no body') };
	}
	return fromValue(body) ?? { message: clip(text) };
}

function fromValue(value: unknown): ErrorBody | undefined {
	if (Array.isArray(value)) return fromValue(value[0]);
	if (value === null || typeof value !== 'object')
		return typeof value === 'string' ? { message: clip(value) } : undefined;
	const body = value as Record<string, unknown>;
	if (typeof body.error === 'string') return { message: clip(body.error) };
	if (body.error && typeof body.error === 'object')
		return fields(body.error as Record<string, unknown>);
	if (typeof body.detail === 'string') return { message: clip(body.detail) };
	if (Array.isArray(body.detail)) {
		const messages = body.detail.map((d) =>
			typeof d?.msg === 'string' ? d.msg : JSON.stringify(d),
		);
		return { message: clip(messages.join('; ')) };
	}
	if (typeof body.message === 'string') return fields(body);
	return undefined;
}

function fields(error: Record<string, unknown>): ErrorBody {
	const text = (value: unknown) =>
		typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
	return {
		message: clip(text(error.message) ?? JSON.stringify(error)),
		type: text(error.type),
		code: text(error.code),
		param: text(error.param),
	};
}

function clip(text: string): string {
	return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
