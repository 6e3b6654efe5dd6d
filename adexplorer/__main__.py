"""``python -m adexplorer`` runs the same command line as ``adx``."""

from adexplorer.cli.entry import run

if __name__ == "__main__":
    run()
