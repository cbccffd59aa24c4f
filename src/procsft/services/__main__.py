"""`python -m procsft.services up|down|status` (`make up` / `make down`)."""

import sys

from procsft.services.cli import main

sys.exit(main())
