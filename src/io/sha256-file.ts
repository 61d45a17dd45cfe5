import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { openRegularFile } from "./open-regular-file.ts";

/** sha256 of a regular file of any size, streamed (a FIFO or device is refused, never waited on). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream("", { fd: await openRegularFile(path, true) }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}
