"""`python -m launcher [--demo] [--speed N] [--headless] [--port N] [--ui-port N] [--api-port N]`:
everything locally in one command (`launcher/dev.py`)."""

from launcher.dev import main

main()
