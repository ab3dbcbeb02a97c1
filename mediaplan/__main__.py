"""`python -m mediaplan`: the same command as the installed `mediaplan`."""

from mediaplan.cli import main

main()
