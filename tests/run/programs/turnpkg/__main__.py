"""``python -m turnpkg``: uses neatlogs' decorator without calling init (the bootstrap did)."""

import neatlogs


@neatlogs.span(kind="AGENT", name="module_turn")
def turn(n: int) -> str:
    return f"turn {n}"


for n in (1, 2):
    print(turn(n), flush=True)
