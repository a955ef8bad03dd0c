/**
 * Preloaded into every process the benchmark measures (`node --import bench/usage.mjs ...`): at
 * exit it writes the process's CPU time and peak RSS to the file $BENCH_USAGE names.
 */
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
	const path = process.env.BENCH_USAGE;
	if (!path) return;
	const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
	writeFileSync(path, JSON.stringify({ cpuUs: userCPUTime + systemCPUTime, maxRssKb: maxRSS }));
});
