"""``nlvc batch``: many files coded on a Dask cluster, GOP by GOP, resumable.

    from nlvc_av.batch.run import run_batch
    result = run_batch(["a.mkv", "b.mp4"], "out/", workers=4)     # a LocalCluster of 4 workers
    result = run_batch(sources, "out/", scheduler="tcp://head:8786")  # a running cluster

:mod:`.outputs` names the outputs and holds the rule that makes a rerun skip a finished one;
:mod:`.cluster` is the Dask side (connecting, the GOP executor); :mod:`.run` drives the
files; :mod:`.command` is the click command. Dask is an optional extra
(``pip install -c constraints.txt -e '.[cluster]'``); nothing here imports it until a batch runs.
"""
