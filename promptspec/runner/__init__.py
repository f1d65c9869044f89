"""The runner: submits expanded requests to the API, polls, downloads, and writes the run folder.

    plan.py       what would be sent, counted per prompt; upload paths checked
    admission.py  --shard, and the limits on what a run would still create
    session.py    one run: ledger -> executor -> results.jsonl -> contact sheet
    ledger.py     the ledger interface: one row per request id (the resume state), claims
    ledger_sqlite.py, ledger_postgres.py   OUT/run.sqlite; a shared PostgreSQL with leases
    ledgers.py    which of the two a run keeps
    executor.py   exactly-once creates, budgets, waiting for other runners' claims
    poll.py       polling by listing; watching claims other runners hold
    reconcile.py  unknown create outcomes matched against the tune's prompt list
    download.py   OUT/images/<prompt>/<request id>-<n>.<ext>, written whole
    progress.py   rich on a terminal, plain lines elsewhere
    sheet.py      OUT/index.html and OUT/grids/<prompt>.png
    merge.py      `sheet`: several outs merged into one contact sheet

Nothing is imported here, so that importing one part stays light.
"""
