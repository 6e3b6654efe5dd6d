"""The explorer's extra screens."""
