"""`python -m cairn` runs the CLI (the editor uses it when no `cairn` script is on PATH)."""

import sys

from cairn.launcher import main

sys.exit(main())
