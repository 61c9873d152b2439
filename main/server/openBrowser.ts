/** Opens a URL in the user's browser if the platform has a way to; failure is only reported. */
import { spawn } from 'node:child_process';

export function openBrowser(url: string): boolean {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`Could not open a browser (${cmd}); open the URL yourself.\n`));
    child.unref();
    return true;
  } catch {
    return false;
  }
}
