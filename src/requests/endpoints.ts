import type { Api, ApiRequest } from '../core/types.ts';

/** The path each API is sent to, relative to the base URL. */
export const API_PATHS: Readonly<Record<Api, ApiRequest['path']>> = {
	chat: '/chat/completions',
	responses: '/responses',
};

/** Batch API endpoints we can send a request line to, by the `url` the line names. */
export const BATCH_URLS: Readonly<Record<string, Api>> = {
	'/v1/chat/completions': 'chat',
	'/v1/responses': 'responses',
};

/** Hosts that know `max_completion_tokens` and whose reasoning models refuse `max_tokens`. */
const OPENAI_HOSTS = [/^api\.openai\.com$/, /\.openai\.azure\.com$/, /\.services\.ai\.azure\.com$/];

/**
 * The Chat Completions fields that carry `--max-tokens` to a server. OpenAI's reasoning models
 * refuse `max_tokens`, while Ollama, llama.cpp, LM Studio and transformers serve read only
 * `max_tokens`: so OpenAI and Azure get `max_completion_tokens`, and any other server both.
 */
export function outputCapFields(baseUrl: string): readonly string[] {
	const host = URL.parse(baseUrl)?.hostname ?? '';
	return OPENAI_HOSTS.some((pattern) => pattern.test(host))
		? ['max_completion_tokens']
		: ['max_completion_tokens', 'max_tokens'];
}
