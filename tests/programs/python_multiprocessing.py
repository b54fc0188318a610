"""Run Python's multiprocessing under each start method.

Each start method (fork, spawn, forkserver) runs the same steps. A Pool maps
and iterates over a function, a child feeds a Queue, and four children share
a Value behind a Semaphore and a Lock. A child writes into a SharedMemory
block under /dev/shm, and a Barrier, an Event and a Condition synchronise
three children. Last, a Process is ended by kill() and by terminate().
Prints only values that are the same on every run.

Usage: python3 -I -S python_multiprocessing.py
"""

import multiprocessing
import sys
import time
from multiprocessing import shared_memory


def square(number):
    return number * number


def produce(queue, count):
    for number in range(count):
        queue.put(number)
    queue.put(None)


def count_under_semaphore(semaphore, lock, counter):
    with semaphore:
        with lock:
            counter.value += 1


def write_shared_memory(name):
    block = shared_memory.SharedMemory(name=name)
    block.buf[:5] = b"hello"
    block.close()


def meet_at_barrier(barrier, event, condition, total, index):
    barrier.wait()
    with condition:
        total.value += index
        condition.notify_all()
    event.wait(10)


def sleep_long():
    time.sleep(60)


def run_pool(context, method):
    with context.Pool(3) as pool:
        print(method, "pool map:", sum(pool.map(square, range(100))))
        print(method, "pool imap_unordered:", sorted(pool.imap_unordered(square, range(5))))


def run_queue(context, method):
    queue = context.Queue()
    producer = context.Process(target=produce, args=(queue, 1000))
    producer.start()
    total = 0
    while (number := queue.get()) is not None:
        total += number
    producer.join()
    print(method, "queue sum:", total, "exit code:", producer.exitcode)


def run_semaphore(context, method):
    semaphore = context.Semaphore(2)
    lock = context.Lock()
    counter = context.Value("i", 0)
    workers = [context.Process(target=count_under_semaphore, args=(semaphore, lock, counter))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(method, "semaphore count:", counter.value, [worker.exitcode for worker in workers])


def run_shared_memory(context, method):
    block = shared_memory.SharedMemory(create=True, size=4096)
    writer = context.Process(target=write_shared_memory, args=(block.name,))
    writer.start()
    writer.join()
    print(method, "shared memory:", bytes(block.buf[:5]), "exit code:", writer.exitcode)
    block.close()
    block.unlink()


def run_barrier(context, method):
    barrier = context.Barrier(3)
    event = context.Event()
    condition = context.Condition()
    total = context.Value("i", 0)
    workers = [context.Process(target=meet_at_barrier,
                               args=(barrier, event, condition, total, index))
               for index in range(3)]
    for worker in workers:
        worker.start()
    with condition:
        condition.wait_for(lambda: total.value == 3, 10)
    event.set()
    for worker in workers:
        worker.join()
    print(method, "barrier total:", total.value, [worker.exitcode for worker in workers])


def run_ending(context, method):
    for end in ("kill", "terminate"):
        sleeper = context.Process(target=sleep_long)
        sleeper.start()
        getattr(sleeper, end)()
        sleeper.join()
        print(method, end, "exit code:", sleeper.exitcode)


def main():
    for method in sys.argv[1:] or ["fork", "spawn", "forkserver"]:
        context = multiprocessing.get_context(method)
        run_pool(context, method)
        run_queue(context, method)
        run_semaphore(context, method)
        run_shared_memory(context, method)
        run_barrier(context, method)
        run_ending(context, method)


if __name__ == "__main__":
    main()
