"""The `tinygrad-udl` console script. It lives outside the package so that a Ctrl-C while the
library is still being imported (the first half second) is caught like one during a command: a
one-line "interrupted" and exit code 130, not a traceback."""
import sys


def main():
    try:
        from tinygrad_udl.cli import main as run
    except KeyboardInterrupt:
        print("tinygrad-udl: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(run())
