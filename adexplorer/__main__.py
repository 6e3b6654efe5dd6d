"""``python -m adexplorer`` runs the same command line as ``adx``."""

from adexplorer.cli.main import main

if __name__ == "__main__":
    main()
