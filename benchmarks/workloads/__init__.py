"""The workloads of ``benchmarks/run.py``, each beside a plain-Python floor.

* :mod:`.sizes`: the shape of the workloads and their full and quick sizes;
* :mod:`.flows`: the routines and flows they run; :mod:`.floors`: the same work without routilux;
* :mod:`.measuring`: best-of-N (or median) timings with a result check, and tracemalloc figures;
* :mod:`.bytecode`: the environment of a timed child process (bytecode cached, as for a wheel);
* :mod:`.routing` (a, b), :mod:`.jobs` (c, d, i), :mod:`.io_fanout` (e), :mod:`.memory` (f),
  :mod:`.scale` (g, h), :mod:`.building` (j, k; :mod:`.first_job` is the child process of k): the
  workloads;
* :mod:`.report`: the rows and the table they are printed in.
"""
