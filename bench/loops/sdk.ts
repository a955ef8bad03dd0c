/**
 * A bare loop over the official SDK: each worker awaits `chat.completions.create`; nothing
 * promptbatch adds. Usage: node bench/loops/sdk.ts BASE_URL CONCURRENCY < prompts
 */
import OpenAI from 'openai';
import { runWorkers } from './workers.ts';

const [baseURL, concurrency = '64'] = process.argv.slice(2);
const client = new OpenAI({ apiKey: 'bench', baseURL, maxRetries: 0 });

await runWorkers(Number(concurrency), async (prompt) => {
	const completion = await client.chat.completions.create({
		model: 'gpt-4o-mini',
		messages: [{ role: 'user', content: prompt }],
	});
	return completion.choices[0]?.message.content ?? undefined;
});
