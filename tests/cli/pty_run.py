#!/usr/bin/python3
"""Run a command under a pseudo-terminal of a given width and print what it wrote.

    pty_run.py COLUMNS OUTPUT_FILE COMMAND [ARG...]

stdin, stdout and stderr of COMMAND are the terminal (so isatty() holds for each); every
byte it writes goes to OUTPUT_FILE. Exits with COMMAND's exit status."""
import fcntl
import os
import pty
import struct
import sys
import termios


def main():
    columns, output, command = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:  # the size is set before the command can ask for it
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
        os.execvp(command[0], command)
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    with open(output, "wb") as out:
        out.write(b"".join(chunks))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
