import { readFileSync } from 'node:fs';
import { version } from './help.ts';

/**
 * What `--version` or `--help` alone prints, without loading commander: its import is a third
 * of the start-up. `--help` is the text rendered at build time (program.ts's `renderHelp`), for
 * anywhere but a terminal, where commander fits help to the width. Undefined: parse as usual.
 */
export function shortcut(argv: readonly string[], stdoutIsTTY: boolean): string | undefined {
	if (argv.length !== 1) return undefined;
	const [arg] = argv;
	if (arg === '--version' || arg === '-V') return `${version()}\n`;
	if ((arg === '--help' || arg === '-h') && !stdoutIsTTY) {
		try {
			return readFileSync(new URL('./help.txt', import.meta.url), 'utf8');
		} catch {
			return undefined;
		}
	}
	return undefined;
}
