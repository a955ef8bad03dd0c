import { APIConnectionTimeoutError, APIError } from 'openai';
import type { Connection } from '../core/config.ts';
import { type ClientSetup, createClient } from './client.ts';
import { connectionFailure, originOf } from './connection.ts';
import { MalformedResponseError, parseCompletion, StreamedResponseError } from './response.ts';
import type { Transport } from './transport.ts';

/** A transport over the official SDK (see `createClient`), for when its log is asked for. */
export function createSdkTransport(connection: Connection, options: ClientSetup): Transport {
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
