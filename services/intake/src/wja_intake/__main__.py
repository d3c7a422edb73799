"""`python -m wja_intake`: run the intake service."""

from wja_platform.app import serve

from wja_intake.bootstrap import create_app
from wja_intake.config import IntakeSettings

if __name__ == "__main__":
    serve(create_app, IntakeSettings())
