"""python -m webdemo: the command line (webdemo.cli)."""

from webdemo.cli import main

if __name__ == "__main__":
    main()
