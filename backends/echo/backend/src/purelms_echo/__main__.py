"""Entrypoint under the harness and inside the image: ``python -m`` this package."""

from purelms_echo import backend


def main() -> None:
    backend.main()


if __name__ == "__main__":
    main()
