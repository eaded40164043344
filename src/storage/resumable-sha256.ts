/**
 * A SHA-256 whose state can be saved and resumed in another process: node:crypto's Hash cannot
 * be serialised, so an upload whose chunks reach different nodes could otherwise only be
 * verified by reading every byte back at commit. hash-wasm's hashers document `save()`/`load()`
 * for exactly this (the state is ~116 bytes). Cost: hash-wasm runs at roughly a seventh of
 * node:crypto's speed on this project's bench machine (bench/README.md, "hash state"), so the
 * drivers use it only where the state must outlive the request (S3 chunked uploads), and
 * node:crypto everywhere else.
 */
import { createSHA256, type IHasher } from 'hash-wasm';

export interface ResumableSha256 {
  update(chunk: Uint8Array): void;
  /** The state after every byte so far, base64 (store it; `resumeSha256` continues from it). */
  save(): string;
  hex(): string;
}

const wrap = (h: IHasher): ResumableSha256 => ({
  update: (chunk) => void h.update(chunk),
  save: () => Buffer.from(h.save()).toString('base64'),
  hex: () => h.digest('hex'),
});

export async function newSha256(): Promise<ResumableSha256> {
  const h = await createSHA256();
  h.init();
  return wrap(h);
}

export async function resumeSha256(saved: string): Promise<ResumableSha256> {
  const h = await createSHA256();
  h.load(Buffer.from(saved, 'base64'));
  return wrap(h);
}
