"""Whether a call lets other Python threads run: a second thread ticks every millisecond while
it runs. A call that held the GIL throughout would leave it no tick until the call returned."""

import threading
import time


def ticks_during(call):
    """Runs `call()` beside a ticking thread; returns the call's seconds and the ticks in them."""
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    time.sleep(0.05)
    started = time.perf_counter()
    try:
        call()
    finally:
        ended = time.perf_counter()
        stop.set()
        counter.join()
    return ended - started, sum(1 for t in ticks if started < t < ended)
