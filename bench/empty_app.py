"""The HTTP ceiling: an empty FastAPI endpoint, served by uvicorn as the services are (bench/ceilings.py)."""

from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/empty", status_code=201)
async def empty() -> dict[str, str]:
    return {}
