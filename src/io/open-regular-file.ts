import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** The error code of a refused file type (BSD's "inappropriate file type"; Linux has none). */
export const NOT_REGULAR = "EFTYPE";

/**
 * Opens a file for reading only when it is a regular file: a FIFO opens at once without waiting for a
 * writer (O_NONBLOCK) and is then refused, as are devices and sockets, so no read blocks for ever (a
 * blocked open holds the process past SIGTERM). `followLink: false` refuses a link at the path's end.
 */
export async function openRegularFile(path: string, followLink: boolean): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (followLink ? 0 : constants.O_NOFOLLOW);
  const handle = await open(path, flags);
  const stat = await handle.stat();
  if (stat.isFile()) return handle;
  await handle.close();
  const folder = stat.isDirectory();
  throw Object.assign(
    new Error(
      folder ? "a folder, not a file" : "not a regular file (a FIFO, socket or device is never read)",
    ),
    { code: folder ? "EISDIR" : NOT_REGULAR },
  );
}
