import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

/**
 * The layers of `src/`, bottom first. A module may import from its own folder and from lower
 * layers only: never upwards, and never sideways into another folder of its own layer (one
 * part into another, one engine into another). The README's Development section says the same.
 */
export const LAYERS: Readonly<Record<string, number>> = {
	core: 0,
	input: 1,
	requests: 1,
	http: 1,
	state: 1,
	output: 1,
	terminal: 1,
	mock: 1,
	cost: 1,
	'engines/realtime': 2,
	'engines/batch': 2,
	run: 3,
	cli: 4,
	'index.ts': 4,
};

/** The unit a module belongs to: its folder under `src/` (two levels for engines), or itself. */
export function unitOf(path: string): string {
	const parts = path.split('/');
	if (parts.length === 1) return path;
	return parts[0] === 'engines' ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

const SPECIFIER =
	/\b(?:from\s*|import\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1|^\s*export\s[^;]*?\bfrom\s*(['"])(\.{1,2}\/[^'"]+)\3/gm;

/** The relative imports of a module's text, with the line each is on. */
export function relativeImports(text: string): { specifier: string; line: number }[] {
	const found: { specifier: string; line: number }[] = [];
	for (const match of text.matchAll(SPECIFIER)) {
		const specifier = (match[2] ?? match[4]) as string;
		const at = match.index + match[0].lastIndexOf(specifier);
		found.push({ specifier, line: text.slice(0, at).split('\n').length });
	}
	return found;
}

/**
 * Every import in `modules` (path under src/ → text) that breaks the rule, as
 * `src/path:line: ...`, saying which way it goes.
 */
export function importViolations(modules: ReadonlyMap<string, string>): string[] {
	const problems: string[] = [];
	for (const [path, text] of modules) {
		const from = unitOf(path);
		const fromLayer = LAYERS[from];
		if (fromLayer === undefined) {
			problems.push(
				`src/${path}:1: ${from} is in no layer; add it to LAYERS in test/helpers/layers.ts`,
			);
			continue;
		}
		for (const { specifier, line } of relativeImports(text)) {
			const target = posix.normalize(posix.join(posix.dirname(path), specifier));
			if (target.startsWith('../')) {
				problems.push(`src/${path}:${line}: imports ${specifier}, outside src/`);
				continue;
			}
			const to = unitOf(target);
			const toLayer = LAYERS[to];
			if (to === from) continue;
			if (toLayer === undefined) {
				problems.push(`src/${path}:${line}: imports ${specifier}, in no layer`);
			} else if (toLayer > fromLayer) {
				problems.push(`src/${path}:${line}: imports upwards, ${from} → ${to} (${specifier})`);
			} else if (toLayer === fromLayer) {
				problems.push(`src/${path}:${line}: imports sideways, ${from} → ${to} (${specifier})`);
			}
		}
	}
	return problems;
}

/** Every `.ts` module under `root`, by its path relative to it (with `/`). */
export function readModules(root: string): Map<string, string> {
	const modules = new Map<string, string>();
	for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
		if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
		const full = join(entry.parentPath, entry.name);
		modules.set(relative(root, full).split(sep).join('/'), readFileSync(full, 'utf8'));
	}
	return modules;
}

export const SRC = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'src');
