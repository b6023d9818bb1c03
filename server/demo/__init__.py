"""`make run`: the demo system (`run.py`) and its page of simulated buttons (`buttons.py`)."""
