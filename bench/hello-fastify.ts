/**
 * The baseline of bench:delta and bench:durable: a bare Fastify app on loopback, in its own process like the real
 * server. GET / answers a hello-world; PUT /submit parses a JSON body and answers 201, with no database and no checks.
 * Run directly it prints its URL; `startHello()` starts it as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';

export async function startHello(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/hello-fastify.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`hello-world exited ${code}`)));
  });
  return { url, child };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  app.put('/submit/:id', async (req, reply) => reply.code(201).send({ id: (req.params as { id: string }).id }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${url}\n`);
}
