"""Entry point for ``python -m questionnaires``."""

import sys

from questionnaires.cli import main

sys.exit(main())
