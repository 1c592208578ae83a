"""Runs one function over many items: in this process, on a local process
pool (``jobs``), or on a Dask cluster (``scheduler``: the address of a
``distributed`` scheduler, or a ``distributed.Client``).

Used by ``python3 -m pycdc.batch`` and ``python3 -m pycdc.eval``. The
coordinator (this process) reads the inputs and writes the outputs; workers
get the bytes of one item at a time and send back their results, so a cluster
needs no shared filesystem. At most a few items per worker are in flight, so
memory stays bounded however many items there are. Results reach
``on_result`` in the coordinator as they arrive (completion order).

Workers keep models in a per-process cache (:func:`pycdc._io.cached_model`):
each worker process loads each model once.
"""

import concurrent.futures
import multiprocessing
import os
import sys


class Progress:
    """A tqdm progress bar (with ETA) when stderr is a terminal, else nothing."""

    def __init__(self, total, initial=0, desc=None, enabled=None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, initial=initial, desc=desc, unit="img",
                                dynamic_ncols=True, file=sys.stderr)

    def update(self, n=1):
        if self.bar is not None:
            self.bar.update(n)

    def write(self, text, log):
        if self.bar is not None:
            self.bar.write(text, file=sys.stdout)
        else:
            log(text)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _connect(scheduler):
    try:
        import distributed
    except ImportError:
        raise SystemExit("--scheduler needs Dask's distributed package "
                         "(Debian: apt-get install python3-distributed)") from None
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    return distributed.Client(scheduler), True


def _dask_slots(client):
    try:
        workers = client.scheduler_info()["workers"].values()
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers))
    except Exception:  # noqa: BLE001  (an estimate only)
        return 4


def run(func, items, *, load=None, common=(), on_result, jobs=1, scheduler=None,
        portable=None):
    """Calls ``func(load(item), *common)`` for every item and
    ``on_result(item, result, error)`` (error: None or the exception) in
    this process as each finishes.

    jobs: processes of a local pool (1: in this process; 0: one per core).
    scheduler: a Dask scheduler address ("tcp://host:8786") or Client; then
        jobs is ignored and the cluster's workers do the work.
    portable: a function mapping ``common`` to what may be sent to another
        machine (e.g. model files as bytes); applied for a cluster only.
    """
    load = load or (lambda item: item)
    items = list(items)
    if scheduler is not None:
        return _run_dask(func, items, load, common, on_result, scheduler, portable)
    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs <= 1:
        for item in items:
            try:
                result = func(load(item), *common)
            except Exception as e:  # noqa: BLE001  (reported per item)
                on_result(item, None, e)
            else:
                on_result(item, result, None)
        return
    window = 2 * jobs
    # spawn, not fork: the coordinator may hold libcdc threads and loaded models.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending = {}
        queue = iter(items)
        try:
            while True:
                while len(pending) < window:
                    item = next(queue, None)
                    if item is None:
                        break
                    pending[pool.submit(func, load(item), *common)] = item
                if not pending:
                    break
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    item = pending.pop(future)
                    error = future.exception()
                    on_result(item, None if error else future.result(), error)
        except BaseException:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _run_dask(func, items, load, common, on_result, scheduler, portable):
    import distributed

    client, owned = _connect(scheduler)
    try:
        if portable is not None:
            common = portable(common)
        # Large shared arguments (model files) go to every worker once.
        common = tuple(client.scatter(list(common), broadcast=True)) if common else ()
        window = 2 * _dask_slots(client)
        pending = {}
        queue = iter(items)

        def submit():
            item = next(queue, None)
            if item is None:
                return None
            future = client.submit(func, load(item), *common, pure=False)
            pending[future] = item
            return future

        futures = [f for f in (submit() for _ in range(window)) if f is not None]
        stream = distributed.as_completed(futures)
        try:
            for future in stream:
                item = pending.pop(future)
                try:
                    result = future.result()
                except Exception as e:  # noqa: BLE001  (reported per item)
                    on_result(item, None, e)
                else:
                    on_result(item, result, None)
                future.release()
                nxt = submit()
                if nxt is not None:
                    stream.add(nxt)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    finally:
        if owned:
            client.close()
