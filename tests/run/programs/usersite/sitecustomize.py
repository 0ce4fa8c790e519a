"""A user's own sitecustomize: records each run of itself (pid and command line) in $SITECUSTOMIZE_LOG."""

import os
import sys

with open(os.environ["SITECUSTOMIZE_LOG"], "a") as log:
    log.write(f"{os.getpid()} {' '.join(sys.orig_argv)}\n")
