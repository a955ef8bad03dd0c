import type { RunOptions } from '../core/options.ts';
import type { ApiRequest, PromptRecord, ResultRecord } from '../core/types.ts';
import type { BatchDeps, LatePrompt } from '../engines/batch/options.ts';
import type { Wiring } from './engines.ts';
import { realtime } from './realtime.ts';

/**
 * `--batch-deadline`: what the batches did not answer in time goes through the realtime engine
 * with flex processing, at the batch price, into the same output. The realtime engine numbers
 * its prompts from 1, so the late ones are numbered afresh and each result given back its own.
 * Their results go through the batch engine's `settle`, which journals them: the realtime
 * engine gets no ledger of its own.
 */
export function flexFinish(w: Wiring): NonNullable<BatchDeps['finish']> {
	return async (late, settle) => {
		const renumbered = late.map(({ record }, at) => ({ ...record, index: at + 1 }));
		const requests = late.map(({ request }) => asFlex(request));
		// -c, --rpm, --tpm and --timeout (else flex's 15 minutes) apply here.
		const options: RunOptions = { ...w.options, serviceTier: 'flex', halt: undefined };
		return realtime({ ...w, records: fromArray(renumbered) }, options, {
			build: (record: PromptRecord) => requests[record.index - 1] as ApiRequest,
			ledger: undefined,
			// The batch engine counts each result as it settles it.
			events: {
				requestStarted: (retry) => w.stats.requestStarted(retry),
				requestEnded: () => w.stats.requestEnded(),
				settled: () => {},
			},
			emit: (result: ResultRecord) => {
				const { record } = late[result.index - 1] as LatePrompt;
				settle(record.index, {
					...result,
					index: record.index,
					id: record.id ?? record.index,
					// Which way it went, even from a server that does not say its tier.
					service_tier: result.service_tier ?? 'flex',
				});
			},
		});
	};
}

/** The request as flex processing takes it; a request that names its own tier keeps it. */
function asFlex(request: ApiRequest): ApiRequest {
	if (request.body.service_tier !== undefined) return request;
	return { ...request, body: { ...request.body, service_tier: 'flex' } };
}

/** Items as the engines take their records: an async iterable. */
export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
	yield* items;
}
