/**
 * The benchmark's OpenAI-compatible server, in a process of its own so that its work is never
 * counted against the client measured: it answers every chat completion by echoing the prompt,
 * at once or after a fixed latency, and keeps nothing. Usage: node bench/server.ts [LATENCY_MS];
 * prints the base URL on its first line of stdout.
 */
import { createServer } from 'node:http';

const latencyMs = Number(process.argv[2] ?? 0);

const server = createServer((req, res) => {
	const chunks: Buffer[] = [];
	req.on('data', (chunk: Buffer) => chunks.push(chunk));
	req.on('end', () => {
		const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
		const messages = body.messages as { content: string }[];
		const prompt = messages[messages.length - 1]?.content ?? '';
		const tokens = Math.ceil(prompt.length / 4);
		const answer = JSON.stringify({
			id: 'chatcmpl-bench',
			object: 'chat.completion',
			created: 0,
			model: body.model,
			choices: [
				{
					index: 0,
					message: { role: 'assistant', content: prompt, refusal: null },
					logprobs: null,
					finish_reason: 'stop',
				},
			],
			usage: { prompt_tokens: tokens, completion_tokens: tokens, total_tokens: 2 * tokens },
		});
		const send = () => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(answer);
		};
		if (latencyMs > 0) setTimeout(send, latencyMs);
		else send();
	});
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
	const { port } = server.address() as { port: number };
	process.stdout.write(`http://127.0.0.1:${port}/v1\n`);
});
