import { Memo } from './memo.ts';
import type { ApiRequest } from './types.ts';

const made = new Memo<ApiRequest, string>();

/**
 * A request's body as JSON, made once: the transport sends it and the request key (journal,
 * cache) hashes it, and a run that keeps either serialized every body twice.
 */
export function bodyJson(request: ApiRequest): string {
	let json = made.get(request);
	if (json === undefined) {
		json = JSON.stringify(request.body);
		made.set(request, json);
	}
	return json;
}
