"""`python -m wja_intake`: run the intake service."""

from wja_intake.bootstrap import create_app
from wja_intake.config import IntakeSettings
from wja_platform.app import serve

if __name__ == "__main__":
    serve(create_app, IntakeSettings())
