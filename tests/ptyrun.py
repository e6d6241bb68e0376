#!/usr/bin/env python3
"""ptyrun: run a shell command on a pseudo-terminal, as a person would in a
terminal, and tell what the screen showed.

    ptyrun.py [--cols N] [--raw FILE] [--frames FILE] [--screen FILE] -- COMMAND

COMMAND runs under sh -c, its standard input, output and error the
terminal's (COMMAND may redirect them), in a session of its own: the
terminal is its controlling terminal and the shell's process group the
foreground one, so that every program of a pipeline shares both, as from an
interactive shell.  The output is played on a small model of a terminal
(COLS columns; carriage return, line feed, backspace, printable text):

  --raw FILE     the bytes as they came
  --frames FILE  every state of the line the cursor was on, each time a
                 carriage return or a line feed left it: one a line
  --screen FILE  the screen at the end, one line per row, blanks at the
                 end of a row removed
  --busy FILE    the most rows that held text other than a summary line
                 ("PROG: N in, ...") at any moment, and the rows then
  --interrupt-after S
                 type Ctrl-C (the terminal's INTR character) after S
                 seconds: SIGINT to the foreground process group

Exits with COMMAND's status (128 + N for a signal).
"""

import argparse
import os
import pty
import re
import select
import struct
import sys
import termios
import time
import fcntl

SUMMARY = re.compile(r"^cs-[a-z0-9]+: \d+ in, \d+ out, \d+ rejected")


class Screen:
    def __init__(self, cols):
        self.cols = cols
        self.rows = [[]]
        self.row = 0
        self.col = 0
        self.frames = []
        self.busy = 0
        self.busy_rows = []

    def text(self, r):
        return "".join(self.rows[r]).rstrip()

    def frame(self):
        self.frames.append(self.text(self.row))

    def put(self, ch):
        # A row is a line as written: one longer than the terminal is
        # wide stays one row here, as it is one line to tell apart.
        line = self.rows[self.row]
        while len(line) <= self.col:
            line.append(" ")
        line[self.col] = ch
        self.col += 1

    def newline(self):
        self.row += 1
        self.col = 0
        if self.row == len(self.rows):
            self.rows.append([])

    def feed(self, data):
        for ch in data:
            if ch == "\r":
                self.frame()
                self.col = 0
            elif ch == "\n":
                self.frame()
                self.newline()
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch >= " ":
                self.put(ch)
        self.measure()

    def measure(self):
        others = [self.text(r) for r in range(len(self.rows))
                  if self.text(r) and not SUMMARY.match(self.text(r))]
        if len(others) > self.busy:
            self.busy = len(others)
            self.busy_rows = others


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=80)
    ap.add_argument("--raw")
    ap.add_argument("--frames")
    ap.add_argument("--screen")
    ap.add_argument("--busy")
    ap.add_argument("--interrupt-after", type=float)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("sh", ["sh", "-c", " ".join(cmd)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, a.cols, 0, 0))
    raw = bytearray()
    start = time.monotonic()
    interrupt = a.interrupt_after
    while True:
        wait = 60
        if interrupt is not None:
            wait = max(0, start + interrupt - time.monotonic())
            if wait == 0:
                os.write(fd, b"\x03")
                interrupt = None
                continue
        try:
            r, _, _ = select.select([fd], [], [], wait)
        except InterruptedError:
            continue
        if not r:
            if interrupt is not None:
                continue
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
    _, st = os.waitpid(pid, 0)
    screen = Screen(a.cols)
    # Feed in the pieces that came, to see the screen between them too.
    text = raw.decode("utf-8", "replace")
    for piece in re.split(r"(?<=[\r\n])", text):
        screen.feed(piece)
    if a.raw:
        with open(a.raw, "wb") as f:
            f.write(raw)
    if a.frames:
        with open(a.frames, "w") as f:
            f.write("\n".join(screen.frames) + "\n")
    if a.screen:
        rows = [screen.text(r) for r in range(len(screen.rows))]
        while rows and rows[-1] == "":
            rows.pop()
        with open(a.screen, "w") as f:
            f.write("".join(r + "\n" for r in rows))
    if a.busy:
        with open(a.busy, "w") as f:
            f.write("%d\n" % screen.busy)
            f.write("".join(r + "\n" for r in screen.busy_rows))
    if os.WIFSIGNALED(st):
        return 128 + os.WTERMSIG(st)
    return os.WEXITSTATUS(st)


if __name__ == "__main__":
    sys.exit(main())
