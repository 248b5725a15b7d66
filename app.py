"""The study app (what `make run` starts): serves bot/ui on STUDYBOT_HOST:STUDYBOT_PORT, 127.0.0.1:7860 by default."""

import sys

from bot.ui.serve import main

if __name__ == "__main__":
    sys.exit(main())
