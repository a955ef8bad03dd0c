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
