"""python -m piecepay, and the piecepay console script."""

import gc


def run() -> None:
    """Run one command as the whole process.

    Importing the command line builds tens of thousands of objects that live until the
    process ends and makes no garbage, so the collector is paused while it loads and
    then told to leave those objects alone (``gc.freeze``): collections during the
    command stay as they were but no longer walk them. Together with the freeze at exit
    in ``piecepay.cli.run`` this is about a tenth of a short command's time.
    """
    gc.disable()
    from piecepay import cli

    gc.freeze()
    gc.enable()
    cli.run()


if __name__ == "__main__":
    run()
