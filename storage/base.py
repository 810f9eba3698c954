"""The typed declarative base, with a naming convention for constraints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from storage.types import BigInt, Snowflake, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {int: BigInt, Snowflake: BigInt, datetime: UTCDateTime()}


# Database objects created by raw SQL in migrations that the models do not describe (full-text
# search tables and their triggers, expression indexes). The model/migration agreement test skips them.
UNMANAGED_TABLES: set[str] = set()
UNMANAGED_INDEXES: set[str] = set()
