import sys

# The bench's options are parsed by the command line (webdemo.cli), which this package
# never imports: say in one line where the bench is run from.
print("webdemo.bench is run as: python -m webdemo bench (see python -m webdemo bench --help)",
      file=sys.stderr)
sys.exit(2)
