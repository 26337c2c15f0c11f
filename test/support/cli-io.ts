import type { CommandIo } from '../../cli/io';

/** A command's io that keeps what it prints: `out` and `err` collect each write, in order. */
export function captureIo(): { io: CommandIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text) => out.push(text), err: (text) => err.push(text), interactive: false }, out, err };
}
