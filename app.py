"""Start KraftBot's web chat: `python app.py [--host 0.0.0.0] [--port 7860]`."""

import sys

from kraftbot.frontends.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
