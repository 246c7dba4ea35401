// A stand-in for the nft binary in unit tests: records every call (arguments and the
// rendered input) and answers with whatever the test scripts.
import type { NftExecutor } from './executor.js';

export interface NftCall {
  args: readonly string[];
  stdin: string;
}

/** A scripted answer: stdout text, or an error to reject with. */
export type NftReply = (call: NftCall) => string | Error | Promise<string | Error>;

export class RecordingExecutor implements NftExecutor {
  readonly calls: NftCall[] = [];
  #reply: NftReply;

  constructor(reply: NftReply = () => '') {
    this.#reply = reply;
  }

  /** Change the answer for the calls that follow. */
  answer(reply: NftReply): void {
    this.#reply = reply;
  }

  /** The inputs of the `-f -` calls, in order. */
  get inputs(): string[] {
    return this.calls.filter((call) => call.args.includes('-f')).map((call) => call.stdin);
  }

  async run(args: readonly string[], stdin = ''): Promise<string> {
    const call = { args: [...args], stdin };
    this.calls.push(call);
    const reply = await this.#reply(call);
    if (reply instanceof Error) throw reply;
    return reply;
  }
}
