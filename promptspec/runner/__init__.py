"""The runner: submits expanded requests to the API, polls, downloads, and writes the run folder."""
