import type { Environment } from '../core/config.ts';

/**
 * Colour level for a stream: only on a TTY, never with NO_COLOR (any non-empty value) or
 * TERM=dumb, and FORCE_COLOR wins over both. chalk's own detection ignores NO_COLOR, so we
 * decide here and hand chalk the level.
 */
export function colorLevel(isTTY: boolean, env: Environment): 0 | 1 | 2 | 3 {
	const force = env.FORCE_COLOR;
	if (force !== undefined && force !== '') {
		if (force === '0' || force === 'false') return 0;
		return force === '2' ? 2 : force === '3' ? 3 : 1;
	}
	if (!isTTY || (env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb') return 0;
	if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
	return /-256(color)?$/i.test(env.TERM ?? '') ? 2 : 1;
}
