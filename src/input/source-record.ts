import type { Payload, RecordId } from '../core/types.ts';

/** A record as one source yields it: where it starts, before it is numbered across sources. */
export interface SourceRecord {
	readonly line: number;
	readonly id: RecordId | undefined;
	readonly payload: Payload;
}
