"""`python -m wja_support`: run the support service."""

from wja_platform.app import serve

from wja_support.bootstrap import create_app
from wja_support.config import SupportSettings

if __name__ == "__main__":
    serve(create_app, SupportSettings())
