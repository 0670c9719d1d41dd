"""Shared plumbing for generators that run on a remote service (fal.ai, Replicate, a ComfyUI box).

No Qt, no torch: plain Python over ``httpx``. ``http`` is the one HTTP client (timeouts on every
call, retries with backoff, typed errors carrying the service's own message, streamed downloads
checked before they are moved into place), ``secrets`` finds API keys (environment or the OS
keyring) and scrubs them from every message, ``presets`` maps a ``ShotRequest`` onto a model's
inputs from data files, ``cost`` estimates what a batch will cost, and ``adapter`` is the
submit / follow / download / conform loop the fal and Replicate adapters share.
"""
