"""`python -m wja_insights`: run the insights service."""

from wja_platform.app import serve

from wja_insights.bootstrap import create_app
from wja_insights.config import InsightsSettings

if __name__ == "__main__":
    serve(create_app, InsightsSettings())
