/** What the agent needs from its host. Each port has a real implementation per host and a fake in unit tests. */
export interface Clock {
  now(): number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface Ports {
  clock: Clock;
  logger: Logger;
}
