"""Where the repository's own files are: the one place that knows the checkout's layout."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FILES = REPO / "files"
TEMPLATES = FILES / "templates"
