import sys

from pipelines.ops.cli import main

sys.exit(main())
