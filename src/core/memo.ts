/**
 * A value kept on the object it belongs to, under a symbol of its own, for what would be a
 * WeakMap: each WeakMap entry is an ephemeron that V8's young collections must visit, and the
 * four a prompt went through (its request, its body's JSON, its key, its record's JSON) cost 7%
 * of a run's time. The property is not enumerable, so neither JSON nor a copy made by spreading
 * carries it: a changed copy makes its own.
 */
export class Memo<K extends object, V> {
	readonly #slot = Symbol();

	get(object: K): V | undefined {
		return (object as Record<symbol, V | undefined>)[this.#slot];
	}

	/** Keeps `value` for `object`, once: an object's value is never replaced. */
	set(object: K, value: V): void {
		Object.defineProperty(object, this.#slot, { value });
	}
}
