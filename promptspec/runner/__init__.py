"""The runner: submits expanded requests to the API, polls, downloads, and writes the run folder.

    plan.py       what would be sent, counted per prompt; upload paths checked
    session.py    one run: ledger -> executor -> results.jsonl -> contact sheet
    ledger.py     OUT/run.sqlite, one row per request id (the resume state)
    executor.py   exactly-once creates, polling, downloads
    reconcile.py  unknown create outcomes matched against the tune's prompt list
    download.py   OUT/images/<prompt>/<request id>-<n>.<ext>, written whole
    progress.py   rich on a terminal, plain lines elsewhere
    sheet.py      OUT/index.html and OUT/grids/<prompt>.png

Nothing is imported here, so that importing one part stays light.
"""
