/** What the mock server can do to a request instead of answering it well. */
export type FaultKind =
	| '400'
	| '401'
	| '402'
	| '403'
	| '404'
	| '429'
	| '500'
	| '503'
	| 'quota'
	| 'unavailable'
	| 'drop'
	| 'garbage'
	| 'cut'
	| 'empty'
	| 'hang'
	| 'endless'
	| 'trickle';

export const FAULT_KINDS: readonly FaultKind[] = [
	'400',
	'401',
	'402',
	'403',
	'404',
	'429',
	'500',
	'503',
	'quota',
	'unavailable',
	'drop',
	'garbage',
	'cut',
	'empty',
	'hang',
	'endless',
	'trickle',
];

/** Directives a prompt can carry to script its own fate, e.g. `[[fault:500x2]]` or `[[delay:300]]`. */
export interface Directives {
	/** A fault for the first `times` attempts of this prompt (Infinity: every attempt). */
	readonly fault?: { readonly kind: FaultKind; readonly times: number };
	readonly delayMs?: number;
}

const FAULT = /\[\[fault:([a-z0-9]+?)(?:x(\d+))?\]\]/;
const DELAY = /\[\[delay:(\d+)\]\]/;

export function parseDirectives(prompt: string): Directives {
	const fault = FAULT.exec(prompt);
	const delay = DELAY.exec(prompt);
	const kind = fault?.[1] as FaultKind | undefined;
	return {
		...(kind && FAULT_KINDS.includes(kind)
			? {
					fault: {
						kind,
						times: fault?.[2] === undefined ? Number.POSITIVE_INFINITY : Number(fault[2]),
					},
				}
			: {}),
		...(delay ? { delayMs: Number(delay[1]) } : {}),
	};
}

/** A small seeded PRNG (mulberry32), so a test's random latencies and faults repeat exactly. */
export function seededRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
