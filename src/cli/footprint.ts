import { availableParallelism } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * The most V8's new space (where every request's short-lived objects go) may take, as
 * `getHeapSpaceStatistics()` reports its size. Left alone, a steady allocation rate with requests
 * in flight grows it to V8's maximum for the heap's size, over 100 MB physical in a run of
 * 100,000 prompts: peak RSS was 225 MB, against 140 MB with this cap, at the same speed.
 */
export const NEW_SPACE_CAP_BYTES = 8 * 1024 * 1024;

/**
 * How far V8 lets the old generation grow past what its last full collection left live, in
 * percent (V8 still grows it by a few megabytes at least). What a run keeps is small (about 13 MB
 * at 100,000 prompts); what fills the old generation is garbage, the few requests in flight
 * across two young collections, promoted there. V8's own factor for a heap that size let it
 * reach 55 MB at 100,000 prompts before a full collection; with this, 30 MB.
 */
export const OLD_GENERATION_GROWTH_PERCENT = 50;

/**
 * Which WebAssembly function V8 may compile a second time, optimized, once it is hot: one with
 * an index no module has, so none. The only WebAssembly a run executes is undici's HTTP parser
 * (llhttp), which V8 compiles quickly first; optimizing its parser is a 15 MB job on a worker
 * thread, whose memory that thread's C allocator then keeps (7-9 MB of the peak RSS of 10,000
 * prompts), and it bought no measurable speed on answers this short (paired 0.98).
 */
const NO_WASM_FUNCTION = 2 ** 31 - 1;

/**
 * Which functions V8's mid-tier compiler, Maglev, may optimize: none ("-*"), so that a hot
 * function waits in the baseline tier for TurboFan. Maglev optimizes many functions early, each
 * a job on one of V8's worker threads, whose C allocator then keeps the job's memory: 12-18 MB of
 * those threads' arenas at 10,000 prompts (3-5 MB without), and the peak RSS 101-114 MB (88-93
 * without). The run takes the same time (paired 0.97-0.99) for about 8% more CPU, TurboFan's
 * jobs on another core: with one core only, those jobs take the run's own time (8% slower), so
 * Maglev stays. `--no-maglev` at start-up, which also changes when TurboFan steps in, made runs
 * 22% slower.
 */
const NO_MAGLEV = '-*';

/** V8's own factor, by which the new space grows when it does. */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * Keeps the process's memory near what the run holds, for the rest of the process. Node takes
 * heap sizes and compiler settings only at start-up (which would mean starting Node twice), but
 * V8 reads these flags each time it sizes a space or tiers a function up. Should a later V8 drop
 * one, it says "unrecognized flag" on stderr, which the tests of a quiet run would see. For the
 * CLI only: the library leaves a host's flags alone.
 */
export function keepFootprintSmall(): void {
	for (const flag of footprintFlags(availableParallelism())) setFlagsFromString(flag);
	capNewSpace();
}

/** The V8 flags that keepFootprintSmall sets on a machine that gives the process `cores`. */
export function footprintFlags(cores: number): string[] {
	return [
		`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`,
		`--wasm-tier-up-filter=${NO_WASM_FUNCTION}`,
		...(cores > 1 ? [`--maglev-filter=${NO_MAGLEV}`] : []),
	];
}

/**
 * Holds the new space within NEW_SPACE_CAP_BYTES. V8 grows it only in a collection: after each,
 * the growth factor is V8's own while a growth stays within the cap, 1 (no growth) once it would
 * not. Should V8 shrink the space, it can grow again. A process that allocates nothing (a batch
 * run polling) is not woken.
 */
function capNewSpace(): void {
	let factor = DEFAULT_GROWTH_FACTOR;
	const check = () => {
		const size = newSpaceBytes();
		const fits = size > 0 ? Math.floor(NEW_SPACE_CAP_BYTES / size) : DEFAULT_GROWTH_FACTOR;
		const next = Math.max(1, Math.min(DEFAULT_GROWTH_FACTOR, fits));
		if (next === factor) return;
		factor = next;
		setFlagsFromString(`--semi-space-growth-factor=${factor}`);
	};
	new PerformanceObserver(check).observe({ entryTypes: ['gc'] });
}

function newSpaceBytes(): number {
	for (const space of getHeapSpaceStatistics())
		if (space.space_name === 'new_space') return space.space_size;
	return 0;
}
