"""Fairness figures: served share, wait, lateness and rejections by rider group."""
