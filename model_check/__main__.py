"""`python -m model_check`: the same as the `coordspec` command."""

import sys

from model_check.cli import main

sys.exit(main())
