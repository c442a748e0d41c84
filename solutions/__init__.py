"""The solutions of the chapters' exercises, one module per chapter (run by the tests)."""
