import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = pathToFileURL(join(import.meta.dirname, '..', '..')).href;

export interface RecordedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /**
   * Every module URL the process loaded (imported, or required by a CommonJS package), relative to the checkout when
   * inside it (e.g. `src/cli.ts`): the imports in the order loaded, then the CommonJS cache at exit, so a module
   * may be listed twice.
   */
  modules: string[];
}

/**
 * Runs `tunnelbot ARGS` from the sources in a fresh Node process that records every module it loads. `whileRunning`
 * is called once the process is started; the process is stopped (SIGTERM) when it returns, for commands that
 * keep running.
 */
export async function runRecordingModules(
  args: string[],
  env: NodeJS.ProcessEnv,
  whileRunning?: () => Promise<void>,
): Promise<RecordedRun> {
  const file = join(mkdtempSync(join(tmpdir(), 'tunnelbot-modules-')), 'loaded.txt');
  const script = `const { main } = await import(${JSON.stringify(`${ROOT}/src/cli.ts`)}); process.exitCode = await main(${JSON.stringify(args)});`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      `${ROOT}/test/helpers/record-modules.mjs`,
      '--input-type=module',
      '-e',
      script,
    ],
    {
      env: { PATH: process.env.PATH, ...env, RECORD_MODULES: file },
      cwd: join(import.meta.dirname, '..', '..'),
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  if (whileRunning) {
    try {
      await whileRunning();
    } finally {
      child.kill('SIGTERM');
    }
  }
  const code = await exited;
  const modules = readFileSync(file, 'utf8')
    .split('\n')
    .filter((url) => url !== '')
    .map((url) => (url.startsWith(`${ROOT}/`) ? url.slice(ROOT.length + 1) : url))
    // The loader the recorded process runs under, not what the command loads: tsx and the esbuild it compiles with.
    .filter((url) => !/^node_modules\/(tsx|esbuild)\//.test(url));
  return { code, stdout, stderr, modules };
}
