"""`python -m wja_court`: run the court service."""

from wja_platform.app import serve

from wja_court.bootstrap import create_app
from wja_court.config import CourtSettings

if __name__ == "__main__":
    serve(create_app, CourtSettings())
