import sys

from lvsha.cli import main

sys.exit(main())
