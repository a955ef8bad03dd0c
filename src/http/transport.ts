import type { Connection } from '../core/config.ts';
import type { ApiRequest, Completion } from '../core/types.ts';
import type { ClientSetup } from './client.ts';
import { createDirectTransport } from './direct-transport.ts';
import type { HeaderReader } from './ratelimit-headers.ts';

/**
 * Sends one request, once, and reads its answer. Throws the SDK's errors (or errors of their
 * shapes), or a MalformedResponseError for a 2xx that is no answer; retrying is the engine's
 * job alone.
 */
export type Transport = (
	request: ApiRequest,
	signal: AbortSignal,
) => Promise<{ completion: Completion; headers: HeaderReader }>;

/**
 * The transport of realtime requests: undici directly (direct-transport.ts), or, when the SDK's
 * log is asked for (OPENAI_LOG), the official SDK (sdk-transport.ts), loaded only then: its
 * import alone costs a run 36 MB. Either way one retry layer, ours, so that backoff, the 429
 * pause and the attempt count are all in one place.
 */
export function createTransport(
	connection: Connection,
	options: ClientSetup & { readonly connections: number },
): Transport {
	const log = options.env.OPENAI_LOG;
	if (!log || log === 'off') return createDirectTransport(connection, options);
	const sdk = import('./sdk-transport.ts').then((m) => m.createSdkTransport(connection, options));
	return async (request, signal) => (await sdk)(request, signal);
}
