"""`python -m wja_charging`: run the charging service."""

from wja_platform.app import serve

from wja_charging.bootstrap import create_app
from wja_charging.config import ChargingSettings

if __name__ == "__main__":
    serve(create_app, ChargingSettings())
