"""Drives `jupyter console --kernel fedbook` in a pseudo-terminal: runs a line
and completes a name with Tab."""
import sys
import pexpect

TIMEOUT = 60
NO_CONFIRM = "--no-confirm-exit"
# The full prompt_toolkit prompt interleaves colour and cursor escapes.
ANSI = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"


def prompt(kind, n):
    return kind + r"\[" + ANSI + str(n) + ANSI + r"\]:"


def main():
    child = pexpect.spawn("jupyter", ["console", "--kernel", "fedbook", "--simple-prompt", NO_CONFIRM], encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 200))
    child.logfile_read = sys.stderr
    try:
        child.expect(r"In \[1\]: ")
        child.sendline("const answer = 6 * 7; answer")
        child.expect(r"Out\[1\]: 42")
        print("ok run a line", flush=True)
        child.expect(r"In \[2\]: ")
        child.sendline("ans")
        child.expect(r"In \[3\]: ")
        print("ok prompt after error", flush=True)
    finally:
        leave(child)


def leave(child):
    """Ctrl-D; answers the exit confirmation if this jupyter console still asks."""
    child.sendcontrol("d")
    if child.expect([pexpect.EOF, r"\(\[y\]/n\)"], timeout=20) == 1:
        child.sendline("y")
        child.expect(pexpect.EOF, timeout=20)


def tab_completion():
    """Tab needs the full prompt_toolkit prompt (not --simple-prompt)."""
    child = pexpect.spawn("jupyter", ["console", "--kernel", "fedbook", NO_CONFIRM], encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 200))
    child.logfile_read = sys.stderr
    try:
        child.expect(prompt("In ", 1))
        child.sendline("const answerToEverything = 42")
        child.expect(prompt("In ", 2))
        child.send("answerTo")
        child.send("\t")
        child.expect("Everything")
        child.send("\r")
        child.expect(prompt("Out", 2) + r"\s*" + ANSI + "42")
        print("ok tab completion", flush=True)
        child.expect(prompt("In ", 3))
    finally:
        leave(child)


if __name__ == "__main__":
    main()
    tab_completion()
