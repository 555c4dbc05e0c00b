"""What if: the real booking history replayed under other service definitions."""
