/** `serve --listen HOST:PORT`: the same form the config's `listen` takes, checked as the flag is read. */
import { InvalidArgumentError } from 'commander';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function parseListen(value: string): string {
  const match = HOST_PORT.exec(value);
  if (!match) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:10731 or [::1]:10731');
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`port ${port} is out of range (1-65535)`);
  return value;
}
