import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** The error code of a refused file type (BSD's "inappropriate file type"; Linux has none). */
export const NOT_REGULAR = "EFTYPE";

const flags = (followLink: boolean) =>
  constants.O_RDONLY | constants.O_NONBLOCK | (followLink ? 0 : constants.O_NOFOLLOW);

/**
 * Opens a file for reading only when it is a regular file: a FIFO opens at once without waiting for a
 * writer (O_NONBLOCK) and is then refused, as are devices and sockets, so no read blocks for ever (a
 * blocked open holds the process past SIGTERM). `followLink: false` refuses a link at the path's end.
 */
export async function openRegularFile(path: string, followLink: boolean): Promise<FileHandle> {
  const handle = await open(path, flags(followLink));
  const stat = await handle.stat();
  if (stat.isFile()) return handle;
  await handle.close();
  throw notRegular(stat.isDirectory());
}

/** openRegularFile as a descriptor and the file's size, at once (O_NONBLOCK: a FIFO never waits). */
export function openRegularFileSync(path: string, followLink: boolean): { fd: number; size: number } {
  const fd = openSync(path, flags(followLink));
  const stat = fstatSync(fd);
  if (stat.isFile()) return { fd, size: stat.size };
  closeSync(fd);
  throw notRegular(stat.isDirectory());
}

function notRegular(folder: boolean): Error {
  return Object.assign(
    new Error(
      folder ? "a folder, not a file" : "not a regular file (a FIFO, socket or device is never read)",
    ),
    { code: folder ? "EISDIR" : NOT_REGULAR },
  );
}
