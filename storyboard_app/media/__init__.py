"""Low-level media helpers shared by generation, voice and render (no Qt, no torch)."""
