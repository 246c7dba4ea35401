// Shared by the zonectl unit tests: an Io that records what a command prints.
import type { Io } from '../../../cli/zonectl/io.js';

export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
}

export function captureIo(tty = false): CapturedIo {
  const io = {
    stdout: '',
    stderr: '',
    tty,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
  };
  return io;
}
