"""Dependencies shared by the API's routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from elasticsearch import Elasticsearch
from fastapi import Depends
from sqlalchemy.orm import Session

from shared.db import get_sessionmaker
from shared.search.client import get_client


def get_session() -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SearchDep = Annotated[Elasticsearch, Depends(get_client)]
