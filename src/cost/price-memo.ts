import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the price data said of each model, kept between runs in the cache directory: importing
 * the data costs ~60 ms of CPU and ~14 MB of memory at every start, to be asked about the same
 * one or two models. One file a data version and UTC day (the data's prices can change on a
 * date); writing it deletes the others. Best effort: a directory that can't be read or written
 * only means that the data is imported, as it was before there was a memo.
 */
export class PriceMemo<T> {
	readonly #dir: string;
	readonly #path: string;
	readonly #entries: Record<string, T | null>;

	constructor(dir: string, version: string, now = new Date()) {
		this.#dir = dir;
		const day = now.toISOString().slice(0, 10);
		this.#path = join(dir, `${PREFIX}${version.replace(/[^\w.-]/g, '_')}-${day}.json`);
		this.#entries = readEntries(this.#path);
	}

	/** What was found for `model`: undefined when it was never asked, null when it had no price. */
	get(model: string): unknown {
		return Object.hasOwn(this.#entries, model) ? this.#entries[model] : undefined;
	}

	set(model: string, value: T | null): void {
		this.#entries[model] = value;
		const temp = `${this.#path}.${process.pid}.tmp`;
		try {
			mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
			writeFileSync(temp, JSON.stringify(this.#entries), { mode: 0o600 });
			renameSync(temp, this.#path);
			for (const name of readdirSync(this.#dir))
				if (
					name.startsWith(PREFIX) &&
					name.endsWith('.json') &&
					join(this.#dir, name) !== this.#path
				)
					rmSync(join(this.#dir, name), { force: true });
		} catch {
			rmSync(temp, { force: true });
		}
	}
}

const PREFIX = 'prices-';

function readEntries<T>(path: string): Record<string, T | null> {
	try {
		const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
		if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
			return Object.assign(Object.create(null), parsed);
	} catch {
		// None yet, or torn: asked again.
	}
	return Object.create(null);
}
