"""The seed's rules restated independently of the specs' helpers."""
