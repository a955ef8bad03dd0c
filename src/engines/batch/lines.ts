import { bodyJson } from '../../core/body-json.ts';
import type { ApiRequest } from '../../core/types.ts';

/** One prompt's line in a batch input file. */
export interface BatchItem {
	readonly index: number;
	readonly request: ApiRequest;
}

/** A batch input file to be: one endpoint, one model (a service rule), within the limits. */
export interface Shard {
	readonly endpoint: string;
	readonly model: string;
	readonly items: readonly BatchItem[];
}

export interface ShardLimits {
	/** Lines a file holds at most. */
	readonly lines: number;
	/** Bytes a file holds at most: the service takes 200 MB; we leave a margin. */
	readonly bytes: number;
	/** Estimated input tokens a file holds at most, when given (the enqueued-token limit). */
	readonly tokens?: number | undefined;
}

/**
 * Our `custom_id` for a prompt: short ASCII, unique, and telling run and prompt apart, so that
 * any output file can be matched back: `pb-<run>-<index>`.
 */
export function customId(run: string, index: number): string {
	return `pb-${run}-${index}`;
}

/** The prompt index a `custom_id` of this run names, or undefined for any other. */
export function indexOfCustomId(run: string, id: string): number | undefined {
	const prefix = `pb-${run}-`;
	if (!id.startsWith(prefix)) return undefined;
	const index = Number(id.slice(prefix.length));
	return Number.isSafeInteger(index) && index > 0 ? index : undefined;
}

/** The endpoint a request goes to, as batch lines and batches name it. */
export function endpointOf(request: ApiRequest): string {
	return `/v1${request.path}`;
}

/**
 * A batch input line, exactly as uploaded: what JSON.stringify makes of custom_id, method, url
 * and body, with the body as serialized once for its request key, not again for each shard's
 * measuring and writing.
 */
export function batchLine(run: string, item: BatchItem): string {
	const id = JSON.stringify(customId(run, item.index));
	const url = JSON.stringify(endpointOf(item.request));
	return `{"custom_id":${id},"method":"POST","url":${url},"body":${bodyJson(item.request)}}`;
}

/**
 * Groups items by endpoint and model, in input order, and cuts each group into shards within
 * the limits. Pure: the table in the unit tests is its spec.
 */
export function shardItems(run: string, items: readonly BatchItem[], limits: ShardLimits): Shard[] {
	const groups = new Map<string, BatchItem[]>();
	for (const item of items) {
		const key = `${endpointOf(item.request)}\n${String(item.request.body.model)}`;
		const group = groups.get(key) ?? [];
		group.push(item);
		groups.set(key, group);
	}
	const shards: Shard[] = [];
	for (const [key, group] of groups) {
		const [endpoint, model] = key.split('\n') as [string, string];
		let current: BatchItem[] = [];
		let bytes = 0;
		let tokens = 0;
		for (const item of group) {
			const size = Buffer.byteLength(batchLine(run, item)) + 1;
			const cost = item.request.estimatedTokens;
			const full =
				current.length >= limits.lines ||
				bytes + size > limits.bytes ||
				(limits.tokens !== undefined && tokens + cost > limits.tokens);
			if (full && current.length > 0) {
				shards.push({ endpoint, model, items: current });
				current = [];
				bytes = 0;
				tokens = 0;
			}
			current.push(item);
			bytes += size;
			tokens += cost;
		}
		if (current.length > 0) shards.push({ endpoint, model, items: current });
	}
	return shards;
}
