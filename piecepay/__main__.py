"""python -m piecepay"""

from piecepay.cli import run

if __name__ == "__main__":
    run()
