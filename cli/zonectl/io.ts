// Where a command writes: results on stdout, progress and errors on stderr. Commands take an
// Io so tests can read what they print.
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: colour and symbols are welcome. */
  readonly tty: boolean;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get tty() {
    return process.stdout.isTTY === true && !process.env.NO_COLOR;
  },
};

/** Lines, each ended by a newline. */
export function lines(...texts: string[]): string {
  return texts.map((t) => `${t}\n`).join('');
}
