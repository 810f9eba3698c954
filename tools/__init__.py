"""Developer tools that drive the real bot in SimCord: screenshots (`python -m tools.screenshots`) and the
token-free demo (`python bot.py demo`). Not loaded by the bot itself."""
