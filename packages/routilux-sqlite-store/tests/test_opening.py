"""Opening a store: the URL forms, the settings, the schema versions, and files it must refuse."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from routilux.plugins import SerializerSpec
from routilux.store import StoreError, open_store
from routilux_sqlite_store import SCHEMA_VERSION, WRITTEN_BY, SqliteStore
from routilux_sqlite_store.schema import MIGRATIONS, migrate, read_meta


def _meta(path: Path) -> tuple[int, dict[str, str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA user_version").fetchone()[0], read_meta(connection)


@pytest.mark.parametrize(
    "url", ["sqlite:///{abs}/a.db", "sqlite:{rel}/b.db", "{rel}/c.db", "{rel}/d.sqlite", "SQLITE:{rel}/e.db"]
)
def test_every_url_form_opens_the_sqlite_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.chdir(tmp_path.parent)
    text = url.format(abs=str(tmp_path).lstrip("/"), rel=tmp_path.name)
    store = open_store(text)
    try:
        assert isinstance(store, SqliteStore)
        assert store.path.parent == tmp_path and store.path.exists()
        assert store.url == f"sqlite:///{store.path.as_posix().lstrip('/')}"
        assert open_store(store.url).path == store.path
    finally:
        store.close()


def test_empty_location_is_refused() -> None:
    with pytest.raises(StoreError, match="needs a file path"):
        open_store("sqlite:")


@pytest.mark.parametrize(("durability", "synchronous"), [("normal", 1), ("full", 2)])
def test_durability_sets_synchronous_and_wal(db: Path, durability: str, synchronous: int) -> None:
    with SqliteStore(db, durability=durability, busy_timeout=2.5) as store:
        assert store.pragmas() == {
            "journal_mode": "wal",
            "synchronous": synchronous,
            "busy_timeout": 2500,
            "user_version": SCHEMA_VERSION,
        }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"durability": "fast"}, "durability must be one of normal, full"),
        ({"busy_timeout": -1}, "busy_timeout must be >= 0"),
        ({"lease_seconds": 0}, "lease_seconds must be > 0"),
    ],
)
def test_bad_options_are_refused(db: Path, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SqliteStore(db, **options)  # type: ignore[arg-type]
    assert not db.exists()


def test_a_new_file_records_its_writer_and_format(db: Path) -> None:
    SqliteStore(db, serializer="json").close()
    version, meta = _meta(db)
    assert version == SCHEMA_VERSION == len(MIGRATIONS)
    assert meta == {"created_by": WRITTEN_BY, "written_by": WRITTEN_BY, "serializer": "json"}


def test_an_existing_file_keeps_its_format(db: Path) -> None:
    SqliteStore(db, serializer="json").close()
    with SqliteStore(db) as store:  # the file's format wins over the default
        assert "serializer='json'" in repr(store)
    other = SerializerSpec(name="other", dumps=lambda data: b"", loads=lambda raw: None)
    with pytest.raises(StoreError, match=r"encoded with serializer 'json', not 'other'"):
        SqliteStore(db, serializer=other)


def test_a_version_0_file_is_migrated(db: Path) -> None:
    with sqlite3.connect(db) as connection:  # an empty database that has seen a write
        connection.execute("CREATE TABLE scratch (x)")
        connection.execute("DROP TABLE scratch")
    assert _meta(db) == (0, {})
    with SqliteStore(db) as store:
        assert store.pragmas()["user_version"] == SCHEMA_VERSION
        assert store.list_jobs() == []
    assert _meta(db)[1]["created_by"] == WRITTEN_BY


def test_migrate_runs_the_later_steps_in_order(db: Path) -> None:
    SqliteStore(db).close()
    later = (
        *MIGRATIONS,
        ("ALTER TABLE jobs ADD COLUMN note TEXT",),
        ("CREATE INDEX jobs_note ON jobs (note)",),
    )
    with sqlite3.connect(db, isolation_level=None) as connection:
        connection.execute("BEGIN IMMEDIATE")
        migrate(connection, SCHEMA_VERSION, {"written_by": "test"}, later)
        connection.execute("COMMIT")
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 2
        assert connection.execute("SELECT note FROM jobs").fetchall() == []
        assert read_meta(connection)["written_by"] == "test"


def test_a_newer_schema_names_its_writer(db: Path) -> None:
    SqliteStore(db).close()
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = 'routilux-sqlite-store 9.0.0' WHERE key = 'written_by'")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError) as raised:
        SqliteStore(db)
    text = str(raised.value)
    assert str(db) in text and f"schema version {SCHEMA_VERSION + 1}" in text
    assert "written by routilux-sqlite-store 9.0.0" in text and "upgrade routilux-sqlite-store" in text


def test_a_file_that_is_not_sqlite_is_named(db: Path) -> None:
    db.write_bytes(b"this is a text file, not a database\n" * 100)
    with pytest.raises(StoreError, match="not an SQLite database") as raised:
        SqliteStore(db)
    assert str(db) in str(raised.value)
    assert db.read_bytes().startswith(b"this is a text file"), "the file was changed"


def test_another_applications_database_is_refused(db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(StoreError, match="not a routilux store: it holds the tables customers"):
        SqliteStore(db)


def test_a_missing_directory_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist") as raised:
        SqliteStore(tmp_path / "missing" / "store.db")
    assert str(tmp_path / "missing") in str(raised.value)
    assert not (tmp_path / "missing").exists()


def test_a_directory_in_place_of_the_file_is_refused(db: Path) -> None:
    db.mkdir()
    with pytest.raises(StoreError, match="is a directory"):
        SqliteStore(db)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_a_read_only_directory_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="is not writable") as raised:
            SqliteStore(locked / "store.db")
        assert str(locked) in str(raised.value)
    finally:
        locked.chmod(0o700)


def test_an_unknown_serializer_is_refused_before_creating_the_file(db: Path) -> None:
    with pytest.raises(StoreError, match="cannot use serializer 'yaml-nope'"):
        SqliteStore(db, serializer="yaml-nope")
    assert not db.exists()
