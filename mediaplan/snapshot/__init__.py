"""The bundled offline snapshot: local copies of the plan's sources, served over real HTTP.

`content*.yaml` holds the stories (written for this project); `build.py` renders
them into each outlet's own markup under `sites/<host>/`; `server.py` serves them.
"""

from pathlib import Path

SNAPSHOT_DIR = Path(__file__).parent
SITES_DIR = SNAPSHOT_DIR / "sites"
