"""``python -m purelms_energyplus_single_zone``: run once under the purelms runtime protocol."""

from ._backend import backend


def main() -> None:
    backend.main()


if __name__ == "__main__":
    main()
