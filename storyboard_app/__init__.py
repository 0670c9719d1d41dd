"""storyboard_app: write a sequence as shots, generate previz clips, export the animatic."""

__version__ = "0.1.0"
