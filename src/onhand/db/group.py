"""Group commit: the writes of concurrent requests share one durable commit.

SQLite allows one writer at a time and a durable commit costs an fsync, so a commit per
request caps the write rate near the disk's fsync rate. One writer thread takes every job
waiting in its queue, runs each in its own savepoint of one transaction — a job that
fails is rolled back alone — commits once, and only then hands each job its result. No
job is acknowledged before the commit that makes it durable; if that commit fails, every
job of the group gets the ``StorageError``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from onhand.db.uow import UnitOfWork, translated
from onhand.errors import StorageError

T = TypeVar("T")
Job = Callable[[UnitOfWork], Any]


class GroupCommitter:
    """Runs jobs (functions of a unit of work) in groups, one transaction per group."""

    def __init__(self, make_uow: Callable[[], UnitOfWork], *, max_group: int = 512) -> None:
        self._make_uow = make_uow
        self._max_group = max_group
        self._queue: queue.SimpleQueue[tuple[Job, Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def run(self, job: Callable[[UnitOfWork], T]) -> T:
        """Run ``job`` inside a group's transaction; return its result once it is durable."""
        return self.submit(job).result()

    def submit(self, job: Callable[[UnitOfWork], T]) -> Future[T]:
        """Queue ``job``; its future completes once the group's commit made it durable."""
        self._ensure_started()
        future: Future[T] = Future()
        self._queue.put((job, future))
        return future

    def close(self) -> None:
        """Stop the writer thread after the jobs already queued."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name="onhand-group-commit")
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self._max_group:  # whatever arrived while the last group ran
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(waiting)
            self._commit(group)

    def _commit(self, group: list[tuple[Job, Future[Any]]]) -> None:
        done: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            uow = self._make_uow()
            with uow:
                for job, future in group:
                    done.append((future, *_in_savepoint(uow, job)))
                uow.commit()
        except BaseException as problem:  # the group's transaction failed: nothing is durable
            failure = problem if isinstance(problem, StorageError) else StorageError(
                f"the group's commit failed and nothing was written ({problem})")
            for _, future in group:
                future.set_exception(failure)
            return
        for future, result, error in done:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


def _in_savepoint(uow: UnitOfWork, job: Job) -> tuple[Any, BaseException | None]:
    """Run one job in a savepoint; roll back to it when the job fails."""
    savepoint = uow.repo.conn.begin_nested()
    try:
        result = job(uow)
    except Exception as error:
        savepoint.rollback()
        if uow.repo.created_catalog:
            uow.catalog.forget()  # ids a rolled-back job created are void
        return None, translated(error) if isinstance(error, DBAPIError) else error
    savepoint.commit()
    return result, None
