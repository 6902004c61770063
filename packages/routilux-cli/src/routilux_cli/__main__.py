"""``python -m routilux_cli ...`` runs the ``routilux`` command."""

from routilux_cli.main import main

if __name__ == "__main__":
    main(prog_name="routilux")
