import sys

from sizing.cli.command import main

sys.exit(main())
