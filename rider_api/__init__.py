"""Rider and hotline HTTP API."""
