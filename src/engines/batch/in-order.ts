import type { ResultRecord } from '../../core/types.ts';

/** Hands results on in index order (from 1), each as soon as all before it have come. */
export function inOrder(emit: (result: ResultRecord) => void | Promise<void>) {
	const held = new Map<number, ResultRecord | undefined>();
	let next = 1;
	let chain: Promise<void> = Promise.resolve();
	return {
		/** `undefined`: the prompt was not sent, and has no record (`--resume` sends it). */
		put(index: number, result: ResultRecord | undefined) {
			held.set(index, result);
			chain = chain.then(async () => {
				while (held.has(next)) {
					const r = held.get(next);
					held.delete(next++);
					if (r) await emit(r);
				}
			});
		},
		flushed: () => chain,
	};
}
