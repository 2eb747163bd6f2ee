"""``python -m purelms_energyplus_single_zone``: run once under the purelms runtime protocol.

The engine is started first, before the runtime, the contract and the models are
imported, so that it initialises while they import (``_prestart``); the package's
``__init__`` imports nothing until a name is used, which is what lets this run first.
"""

from ._prestart import prestart_engine

if __name__ == "__main__":
    prestart_engine()

from ._backend import backend  # after the engine's start, deliberately


def main() -> None:
    backend.main()


if __name__ == "__main__":
    main()
