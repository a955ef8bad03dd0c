import { APIConnectionTimeoutError, APIError } from 'openai';
import type { Connection } from '../core/config.ts';
import type { ApiRequest, Completion } from '../core/types.ts';
import { type ClientSetup, createClient } from './client.ts';
import { connectionFailure } from './connection.ts';
import { createDirectTransport } from './direct-transport.ts';
import type { HeaderReader } from './ratelimit-headers.ts';
import { MalformedResponseError, parseCompletion, StreamedResponseError } from './response.ts';

/**
 * Sends one request, once, and reads its answer. Throws the SDK's errors, or a
 * MalformedResponseError for a 2xx that is no answer; retrying is the engine's job alone.
 */
export type Transport = (
	request: ApiRequest,
	signal: AbortSignal,
) => Promise<{ completion: Completion; headers: HeaderReader }>;

/**
 * The transport of realtime requests: undici directly (direct-transport.ts), or, when the SDK's
 * log is asked for (OPENAI_LOG), the official SDK (see `createClient`). Either way one retry
 * layer, ours, so that backoff, the 429 pause and the attempt count are all in one place.
 */
export function createTransport(
	connection: Connection,
	options: ClientSetup & { readonly connections: number },
): Transport {
	// The SDK's debug log is worth its cost only when asked for.
	const log = options.env.OPENAI_LOG;
	if (!log || log === 'off') return createDirectTransport(connection, options);
	const client = createClient(connection, options);
	const origin = originOf(client.baseURL);
	return async (request, signal) => {
		let answer: { data: unknown; response: Response };
		try {
			answer = await client.post(request.path, { body: request.body, signal }).withResponse();
		} catch (error) {
			// A status, a timeout or our own abort says enough; a fetch failure, not yet.
			const status = error instanceof APIError && typeof error.status === 'number';
			if (signal.aborted || status || error instanceof APIConnectionTimeoutError) throw error;
			throw connectionFailure(error, origin) ?? error;
		}
		const { data, response } = answer;
		if (response.headers.get('content-type')?.includes('text/event-stream')) {
			throw new StreamedResponseError(
				`${origin} answered with an event stream (text/event-stream) although the request said "stream": false; it does not honour that`,
			);
		}
		try {
			return {
				completion: parseCompletion(request.api, data, response.headers),
				headers: response.headers,
			};
		} catch (error) {
			throw new MalformedResponseError((error as Error).message, response.headers);
		}
	};
}

/** `host:port` of the server, for messages: never its path, query or credentials. */
function originOf(baseURL: string): string {
	try {
		return new URL(baseURL).host;
	} catch {
		return baseURL;
	}
}
