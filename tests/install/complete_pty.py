#!/usr/bin/env python3
"""Ask an interactive shell, on a pseudo-terminal, to complete command lines.

usage: complete_pty.py bash|zsh COMPLETION_FILE LINE...

Starts `bash --norc --noprofile -i` or `zsh -f -i` in a fresh pseudo-terminal
(200 columns, so every candidate fits), loads COMPLETION_FILE the way the
shell would load an installed one (zsh: from $fpath, via compinit), and for
each LINE types it followed by two TABs, then erases the line (^U) and runs
`echo` of a marker.  What the terminal showed between LINE and the marker
(the completed word and the list of candidates, escape sequences and
carriage returns removed) is printed after a line `=== LINE`.  The caller
greps that text.  Exit status 0, or 2 when the shell does not answer
within 60 s.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

PROMPT = "llamafmt-test$ "


class Reader:
    """What the shell writes, read as needed."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""

    def until(self, mark):
        """Read until `mark` has been written; consume and return the text
        before it (the mark is consumed too)."""
        want = mark.encode()
        deadline = time.monotonic() + 60
        while want not in self.buf and time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk
        if want not in self.buf:
            sys.stderr.write("complete_pty: no answer from the shell; it wrote:\n%r\n" % self.buf[-2000:])
            sys.exit(2)
        i = self.buf.index(want)
        text, self.buf = self.buf[:i], self.buf[i + len(want):]
        return text.decode("utf-8", "replace")

    def marker_and_prompt(self, mark):
        """The text before `mark`; then wait for the next prompt, which the
        line editor prints once it reads the terminal (typed text sent
        earlier would be echoed and edited by the terminal driver)."""
        text = self.until(mark)
        self.until(PROMPT)
        return text


def clean(text):
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)   # CSI sequences
    text = re.sub(r"\x1b[()][0-9A-Za-z]", "", text)          # charset selection
    text = re.sub(r"\x1b[=>]", "", text)                     # keypad modes
    return text.replace("\x07", "").replace("\r", "")


def echo_mark(n):
    # typed as __''llamafmt_mark_N__ so that the echo of the typed command
    # does not contain the marker; only echo's output does
    return "echo __''llamafmt_mark_%d__\n" % n, "__llamafmt_mark_%d__" % n


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("bash", "zsh"):
        sys.stderr.write(__doc__)
        return 2
    shell, compfile, lines = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3:]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASH_FUNC_", "ZDOTDIR"))}
    env.update(TERM="dumb", PS1=PROMPT, PROMPT=PROMPT, HISTFILE="/dev/null", LC_ALL="C")
    env.pop("PROMPT_COMMAND", None)
    if shell == "bash":
        argv = ["bash", "--norc", "--noprofile", "-i"]
        setup = ("bind 'set show-all-if-ambiguous on'; bind 'set completion-query-items 0'; "
                 "bind 'set page-completions off'; bind 'set bell-style none'; "
                 ". '%s'; " % compfile)
    else:
        # an installed zsh completion is found as a file named _llamafmt in $fpath
        if os.path.basename(compfile) != "_llamafmt":
            sys.stderr.write("complete_pty: a zsh completion file must be named _llamafmt\n")
            return 2
        argv = ["zsh", "-f", "-i"]
        setup = ("fpath=('%s' $fpath); autoload -Uz compinit; compinit -u -D; "
                 "LISTMAX=0; unsetopt beep; zstyle ':completion:*' list-prompt ''; "
                 % os.path.dirname(compfile))

    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    out = []
    reader = Reader(fd)
    try:
        cmd, mark = echo_mark(0)
        os.write(fd, (setup + cmd).encode())
        reader.marker_and_prompt(mark)
        for i, line in enumerate(lines, 1):
            cmd, mark = echo_mark(i)
            os.write(fd, line.encode() + b"\t\t\x15" + cmd.encode())
            out.append("=== %s\n%s\n" % (line, clean(reader.marker_and_prompt(mark))))
    finally:
        os.write(fd, b"\x15exit\n")
        time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
