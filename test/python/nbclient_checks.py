"""Executes notebooks with nbclient on the fedbook kernel; argv: notebook paths.
Fails (non-zero) on any cell error; prints one line per notebook."""
import sys
import nbformat
from nbclient import NotebookClient


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name="fedbook", timeout=600, startup_timeout=60, allow_errors=False)
        client.execute()
        outputs = sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")
        nbformat.validate(nb)
        print(f"ok {path} ({outputs} outputs)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
