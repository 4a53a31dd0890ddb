import atexit
import os
import sys

from .cli import main

if __name__ == "__main__":   # not when a worker process imports this module
    code = main()
    # A command that loaded the model leaves torch, transformers and scikit-learn imported, and the
    # interpreter's teardown of their modules takes about 2.5 s more. Everything this program must
    # do at exit is an atexit handler (the document worker's stop) or a flush, so run those and end.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))
