"""Turning shots into preview clips, the same way whatever renders them (no Qt).

request  — ShotRequest, prompt composition, seed derivation, request hash (the cache key)
protocol — the Generator protocol every adapter implements
registry — generators found through the ``storyboard_app.generators`` entry points
cache    — the content-addressed clip cache
jobs     — jobs, the Executor interface and the local worker-process executor
service  — plan / run / record takes: the API of the CLI, the exporter and the GUI
"""
