"""Entrypoint under the harness and inside the image: ``python -m purelms_echo``."""

from purelms_echo import backend


def main() -> None:
    backend.main()


if __name__ == "__main__":
    main()
