import { createHash } from 'node:crypto';
import type { ApiRequest } from '../core/types.ts';

const hashes = new WeakMap<ApiRequest, string>();

/**
 * A hash of exactly what would be sent (endpoint and body), which the journal records so that
 * `--resume` can tell whether a prompt is still the same request. Computed once per request.
 */
export function requestHash(request: ApiRequest): string {
	let hash = hashes.get(request);
	if (hash === undefined) {
		hash = sha256(`${request.path}\n${JSON.stringify(request.body)}`);
		hashes.set(request, hash);
	}
	return hash;
}

/** The cache key: the same request to another server is another answer. */
export function cacheKey(baseURL: string, request: ApiRequest): string {
	return sha256(`${baseURL}\n${requestHash(request)}`);
}

function sha256(text: string): string {
	return createHash('sha256').update(text).digest('hex');
}
