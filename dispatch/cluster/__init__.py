"""The production shape: API workers and one engine per service area over a message bus."""
